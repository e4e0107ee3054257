"""A yes/no question about a kind of job is answered by the sentence that says the role is, or is not, one."""

from __future__ import annotations

from bot.answer.predicates import asked_kind_of_job, says_kind_of_job


def test_the_kind_of_job_comes_from_the_questions_own_words() -> None:
    assert asked_kind_of_job("Is the CMIO still mainly an implementation role?") == "implementation"
    assert asked_kind_of_job("is a CMIO mainly an implementation role these days?") == "implementation"
    assert asked_kind_of_job("What does the CTO do?") is None
    assert asked_kind_of_job("why? (Is the CMIO an implementation role?)") is None


def test_a_sentence_says_so_either_way() -> None:
    assert says_kind_of_job("implementation", "“This isn’t an implementation job,” Dr. Wood says.")
    assert says_kind_of_job("implementation", "It is an implementation role.")
    assert not says_kind_of_job("implementation", "They were strong in implementation.")
