"""A question that names no role but clearly means one follows that role; the articles' bylines count
as their names."""

from __future__ import annotations

from bot.answer.advisor import Advisor
from bot.answer.implied import named_everyday
from bot.settings import Settings


def test_a_clearly_implied_role_is_followed(built: tuple[Settings, Advisor]) -> None:
    advisor = built[1]
    roles = advisor.roles()
    vector = advisor.index.embedder.embed_query("What happens to the physician who led our EHR go-live?")
    assert advisor.implied.of(vector, roles) == "CMIO"
    vector = advisor.index.embedder.embed_query("Would an ex-military techie suit our top technology post?")
    assert advisor.implied.of(vector, roles) == "CTO"
    # A general question means no one role.
    assert (
        advisor.implied.of(advisor.index.embedder.embed_query("What do these executives have in common?"), roles)
        is None
    )
    answer = advisor.ask_sync("What happens to the physician who led our EHR go-live?")
    assert answer.in_scope and answer.sources[0].path == "cmio-next-generation-hillary-ross.md"
    assert answer.roles == ["CMIO"]


def test_authors_and_publishers_are_names_of_the_articles(built: tuple[Settings, Advisor]) -> None:
    names = built[1].names()
    assert {"bonnie siegel", "witt/kieffer"} <= names
    answer = built[1].ask_sync("What responsibilities does Bonnie Siegel list?")
    assert answer.in_scope and answer.sources[0].author == "Bonnie Siegel"


def test_a_guessed_role_never_hides_the_article_holding_a_name_the_question_uses(
    built: tuple[Settings, Advisor],
) -> None:
    """ "categories" leans towards the CMIO article's generations, but SFIA lives in the CTO article: the name
    says where to look."""
    answer = built[1].ask_sync("SFIA categories?")
    assert answer.in_scope and answer.sources[0].path == "cto-role-bonnie-siegel.md"
    assert "six categories" in answer.text


def test_everyday_names_of_the_two_roles_are_read_as_words() -> None:
    roles = ["CMIO", "CTO"]
    for question in ("What does the head of computing look after?", "Is the tech boss the one who vets new kit?"):
        assert named_everyday(question, roles) == "CTO"
    for question in ("What does the doctor who runs our clinical computer systems do?", "newer doctor-tech leaders"):
        assert named_everyday(question, roles) == "CMIO"
    assert named_everyday("Should the doctor-computer boss sit on the board?", roles) == "CMIO"  # not also CTO
    assert named_everyday("What does a good leader need?", roles) is None
    assert named_everyday("What does the head of computing look after?", ["CTO"]) == "CTO"


def test_a_long_question_naming_the_role_in_everyday_words_follows_it(built: tuple[Settings, Advisor]) -> None:
    # Its vector alone is too far from any title to win by the margin; the words say who is meant.
    answer = built[1].ask_sync(
        "Thinking back over many years on our board, the head of computing once looked after cables, servers and "
        "desktop machines; which further areas does that person now answer for, say protecting our records?"
    )
    assert answer.in_scope and answer.roles == ["CTO"]
