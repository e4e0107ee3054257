"""Role finding (bot.answer.roles): which executive roles a text names, by acronym or full title, in the
order it names them."""

from __future__ import annotations

import pytest

from bot.answer.roles import find_roles, full_title


def test_an_acronym_names_its_role() -> None:
    assert find_roles("What does a CTO do?") == ["CTO"]


def test_a_full_title_names_its_role() -> None:
    assert find_roles("Hiring a chief medical information officer") == ["CMIO"]


def test_a_full_title_is_found_whatever_its_case() -> None:
    assert find_roles("Our Chief Technology Officer left") == ["CTO"]


@pytest.mark.parametrize("text", ["Compare CTOs", "The CTO's remit", "The CTO’s remit"])
def test_a_plural_or_possessive_acronym_names_the_role(text: str) -> None:
    assert find_roles(text) == ["CTO"]


def test_a_role_no_table_knows_is_found_by_its_acronym() -> None:
    assert find_roles("Should we hire a CDAO first?") == ["CDAO"]


def test_a_chief_officer_title_no_table_spells_out_is_named_by_its_initials() -> None:
    assert find_roles("What does a chief security officer do?") == ["CSO"]
    assert find_roles("How should we hire a chief marketing officer?") == ["CMO"]
    assert find_roles("The chief technology officer and the chief nursing informatics officer") == ["CTO", "CNIO"]


def test_a_ciso_is_found_by_acronym_and_by_title() -> None:
    assert find_roles("Hiring a CISO") == ["CISO"]
    assert find_roles("Hiring a chief information security officer") == ["CISO"]


def test_roles_come_in_order_of_first_mention() -> None:
    assert find_roles("the chief medical information officer works with the CTO") == ["CMIO", "CTO"]
    assert find_roles("the CTO works with the chief medical information officer") == ["CTO", "CMIO"]


def test_a_role_named_twice_is_listed_once() -> None:
    assert find_roles("CTO or chief technology officer? A CTO.") == ["CTO"]


@pytest.mark.parametrize("text", ["Our ACTOR and DOCTOR", "vectors and COVID", "CTOX", "a cto"])
def test_words_that_contain_an_acronym_are_not_one(text: str) -> None:
    assert find_roles(text) == []


def test_a_known_role_matches_in_any_case_and_plural() -> None:
    assert find_roles("what do vpits earn?", known=["VPIT"]) == ["VPIT"]
    assert find_roles("a cto", known=["CTO"]) == ["CTO"]


def test_a_text_naming_no_role_names_none() -> None:
    assert find_roles("How long does an executive search take?") == []


def test_the_full_title_spells_a_known_role_out() -> None:
    assert full_title("cto") == "chief technology officer (CTO)"


def test_the_full_title_of_an_unknown_role_is_its_acronym() -> None:
    assert full_title("cdao") == "CDAO"
