"""Which known role a user means, by a name for a brief or by what they typed so far in inline mode."""

from __future__ import annotations

import pytest

from bot.answer.known_roles import UnknownRoleError, matching_roles, resolve_role

KNOWN = ["CMIO", "CTO"]


def test_an_acronym_in_any_case_resolves_to_the_known_role() -> None:
    assert resolve_role("cto", KNOWN) == "CTO"


def test_a_full_title_resolves_to_its_acronym() -> None:
    assert resolve_role("chief medical information officer", KNOWN) == "CMIO"


def test_a_plural_resolves_to_the_role() -> None:
    assert resolve_role("CTOs", KNOWN) == "CTO"


def test_a_role_no_article_is_about_is_refused_with_the_roles_there_are() -> None:
    with pytest.raises(UnknownRoleError, match=r"No article is about the CISO role yet\. .*: CMIO, CTO\."):
        resolve_role("ciso", KNOWN)


def test_an_empty_knowledge_base_says_there_are_no_roles() -> None:
    with pytest.raises(UnknownRoleError, match="Roles in the knowledge base: none"):
        resolve_role("CTO", [])


def test_an_empty_inline_query_offers_every_role() -> None:
    assert matching_roles("", KNOWN) == KNOWN


def test_the_start_of_a_role_name_matches_it() -> None:
    assert matching_roles("cm", KNOWN) == ["CMIO"]


def test_named_roles_come_first_in_order_of_mention() -> None:
    assert matching_roles("cto and cmio", KNOWN) == ["CTO", "CMIO"]


def test_a_query_that_names_no_known_role_matches_none() -> None:
    assert matching_roles("ciso", KNOWN) == []
