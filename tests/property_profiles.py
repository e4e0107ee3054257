"""The example counts of the hypothesis properties (tests/test_*_properties.py): each property names one count
for the "fast" profile (make test) and one for the "stress" profile (make stress, or HYPOTHESIS_PROFILE=stress),
which tests/conftest.py registers and loads."""

from __future__ import annotations

import pytest
from hypothesis import settings

STRESS = settings.get_current_profile_name().startswith("stress")
"""The stress profile is loaded (a verbosity option makes it "stress-with-...-verbosity")."""
TIMEOUT = pytest.mark.timeout(1800 if STRESS else 120)
"""The property modules' pytestmark: a stress run takes minutes."""


def examples(fast: int, stress: int) -> settings:
    """This property's example count under the loaded profile; the rest of its settings are the profile's."""
    return settings(max_examples=stress if STRESS else fast)
