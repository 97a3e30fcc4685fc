"""Which typed line answers which of the customer's questions (peer._questions), without sockets."""

from __future__ import annotations

import pytest

from peer._questions import LATE_ANSWER_SECONDS, Question, Questions, answer_word


class Screen:
    def __init__(self) -> None:
        self.lines: list[str] = []


def asked(screen: Screen, text: str, *, choices: int = 0) -> tuple[Question, list[str]]:
    """A question whose answers are collected in the returned list; open until answered."""
    answers: list[str] = []

    async def answer(word: str) -> None:
        answers.append(word)

    question = Question((f"{text} Allow? [y/N]",), text, lambda: not answers, answer, choices)
    return question, answers


def questions() -> tuple[Questions, Screen]:
    screen = Screen()
    return Questions(screen.lines.append), screen


@pytest.mark.parametrize("line", ["/stop", "/quit", " /stop", "/y", "/revoke files"])
def test_a_line_starting_with_a_slash_is_a_command_never_an_answer(line: str) -> None:
    qs, screen = questions()
    question, _ = asked(screen, "Alice (rep) asks to view your desktop.")
    qs.put(question, now=1.0)
    assert qs.answered_by(line, arrived=2.0) is None


@pytest.mark.parametrize(
    ("line", "word"),
    [("y", "y"), ("YES", "y"), (" Yes ", "y"), ("n", "n"), ("No", "n"), ("", "n"), ("  ", "n")],
)
def test_only_yes_no_or_an_empty_line_answer_a_yes_or_no_question(line: str, word: str) -> None:
    assert answer_word(line, choices=0) == word


@pytest.mark.parametrize("line", ["yes please", "ok", "sure", "1", "y y", "nope", "yy"])
def test_anything_else_is_not_an_answer(line: str) -> None:
    assert answer_word(line, choices=0) is None


def test_a_choice_number_answers_only_a_question_that_offers_that_many_choices() -> None:
    assert answer_word("2", choices=3) == "2"
    assert answer_word("02", choices=3) == "2"
    assert answer_word("4", choices=3) is None
    assert answer_word("0", choices=3) is None
    assert answer_word("2", choices=0) is None


def test_a_line_that_arrived_before_the_question_was_shown_does_not_answer_it() -> None:
    qs, screen = questions()
    question, _ = asked(screen, "Alice (rep) asks to control your desktop.")
    qs.put(question, now=10.0)
    assert qs.answered_by("y", arrived=9.99) is None
    assert qs.answered_by("y", arrived=10.0) == (question, "y")


def test_one_question_is_shown_at_a_time_and_the_next_once_the_first_is_answered() -> None:
    qs, screen = questions()
    fetch, fetch_answers = asked(screen, "Alice (rep) wants to fetch .ssh/id_ed25519.")
    offer, _ = asked(screen, "Alice (rep) wants to send you screenshot.png.")
    qs.put(fetch, now=1.0)
    qs.put(offer, now=1.1)
    assert screen.lines == ["Alice (rep) wants to fetch .ssh/id_ed25519. Allow? [y/N]"]
    assert qs.answered_by("y", arrived=2.0) == (fetch, "y")  # the one on screen, not the newer
    fetch_answers.append("y")  # answered: it closes
    qs.refresh(now=2.0)
    assert screen.lines[-1] == "Alice (rep) wants to send you screenshot.png. Allow? [y/N]"
    # The next question was shown at 2.0: a second "y" typed at once with the first is not its.
    assert qs.answered_by("y", arrived=1.9) is None
    assert qs.answered_by("n", arrived=2.5) == (offer, "n")


def test_a_question_that_closed_by_itself_gives_way_to_the_next() -> None:
    qs, screen = questions()
    first, first_answers = asked(screen, "Alice (rep) asks for file access.")
    second, _ = asked(screen, "Alice (rep) asks for your system information.")
    qs.put(first, now=0.0)
    qs.put(second, now=0.0)
    first_answers.append("withdrawn by the rep")
    qs.refresh(now=3.0)
    assert qs.current is second
    assert second.shown_at == 3.0


def test_a_line_that_is_no_answer_gets_a_reminder_naming_the_open_question() -> None:
    qs, screen = questions()
    question, _ = asked(screen, "Alice (rep) asks to view your desktop.")
    qs.put(question, now=0.0)
    qs.remind()
    assert screen.lines[-1] == (
        "? Still waiting for your answer (y or n): Alice (rep) asks to view your desktop."
    )


def test_without_a_question_nothing_is_an_answer_and_nothing_is_reminded() -> None:
    qs, screen = questions()
    assert qs.answered_by("y", arrived=1.0) is None
    qs.remind()
    assert screen.lines == []


def test_a_lone_yes_that_came_before_the_question_is_held_back_not_chatted() -> None:
    qs, screen = questions()
    question, _ = asked(screen, "Alice (rep) asks to view your desktop.")
    qs.put(question, now=5.0)
    assert qs.stray("y", arrived=4.9, now=5.1) == (
        "('y' came before this question was shown; nothing was sent)"
    )
    assert qs.stray("yes please", arrived=4.9, now=5.1) is None  # chat, as any other line


def test_a_lone_yes_just_after_the_last_question_closed_is_not_chatted() -> None:
    qs, screen = questions()
    question, answers = asked(screen, "Alice (rep) asks to view your desktop.")
    qs.put(question, now=0.0)
    answers.append("timed out")
    qs.refresh(now=120.0)
    assert qs.stray("Y", arrived=121.0, now=121.0) is not None
    later = 120.0 + LATE_ANSWER_SECONDS + 1
    assert qs.stray("y", arrived=later, now=later) is None  # long after: a chat "y" as ever


def test_without_any_question_a_lone_yes_is_chat() -> None:
    qs, _ = questions()
    assert qs.stray("yes", arrived=1.0, now=1.0) is None
