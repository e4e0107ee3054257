"""What a chief-officer role acronym looks like ("CTO", "CMIO", "CISO"), written once.

The ingest reads roles from article titles with it, and the bot finds roles in questions and neutralises
them in quoted sentences with it; a role an admin adds later ("CDAO") matches with no code change. The
pattern is hand-written: role acronyms are our domain's convention, not something a library knows.
"""

from __future__ import annotations

import re

ACRONYM = r"C[A-Z]{1,3}O"
"""The shape of a chief-officer acronym: C, one to three capitals, O (no groups, to embed in larger patterns)."""

ROLE_ACRONYM = re.compile(rf"\b({ACRONYM})(?:s|'s|’s)?\b")
"""An acronym as text writes it, plural or possessive ("CTOs", "CMIO's"); group 1 is the role itself."""
