"""``/to NAME text``: which member a typed line is for, when names hold spaces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import pytest

from codec import Member, Role
from peer._cli_face import split_recipients

if TYPE_CHECKING:
    from peer._session import Session

KEY = bytes(32)


@dataclass
class _Roster:
    """Just what the CLI reads from a session to split a line: who is in, and who we are."""

    names: list[str]
    id: int = 0
    members: list[Member] = field(init=False)

    def __post_init__(self) -> None:
        self.members = [
            Member(i, name, Role.REP if i == 0 else Role.CUSTOMER, KEY)
            for i, name in enumerate(self.names)
        ]

    def roster(self) -> list[Member]:
        return self.members


def split(names: list[str], rest: str) -> tuple[str, str]:
    """The one recipient of *rest*, and the text."""
    [name], text = split_recipients(cast("Session", _Roster(names)), rest)
    return name, text


def split_many(names: list[str], rest: str) -> tuple[list[str], str]:
    return split_recipients(cast("Session", _Roster(names)), rest)


def test_a_one_word_name_is_the_first_word() -> None:
    assert split(["Alice", "Bob"], "Bob the printer is fine") == ("Bob", "the printer is fine")


def test_a_name_with_a_space_is_matched_whole() -> None:
    assert split(["Alice", "Bob Smith"], "Bob Smith are you there") == (
        "Bob Smith",
        "are you there",
    )


def test_the_longest_matching_name_wins() -> None:
    names = ["Alice", "Bob", "Bob Smith"]
    assert split(names, "Bob Smith hi") == ("Bob Smith", "hi")
    assert split(names, "Bob hi") == ("Bob", "hi")


def test_names_match_regardless_of_case() -> None:
    assert split(["Alice", "Bob Smith"], "bob smith hi") == ("Bob Smith", "hi")


def test_ones_own_name_is_not_a_recipient() -> None:
    assert split(["Alice Rep", "Bob"], "Alice Rep hi") == ("Alice", "Rep hi")


def test_an_unknown_name_is_passed_on_as_the_first_word() -> None:
    """The session then refuses it with "nobody called ..."; nothing is guessed here."""
    assert split(["Alice", "Bob"], "Zed hello there") == ("Zed", "hello there")


@pytest.mark.parametrize("rest", ["Bob", "Bob   "])
def test_a_name_with_no_text_gives_empty_text(rest: str) -> None:
    assert split(["Alice", "Bob"], rest) == ("Bob", "")


def test_several_recipients_are_separated_by_commas() -> None:
    names = ["Alice", "Bob Smith", "Carol", "Dave"]
    assert split_many(names, "Bob Smith,Carol hello both") == (["Bob Smith", "Carol"], "hello both")
    assert split_many(names, "carol, dave, Bob Smith hi") == (["Carol", "Dave", "Bob Smith"], "hi")


def test_an_unknown_name_among_several_is_passed_on_for_the_session_to_refuse() -> None:
    assert split_many(["Alice", "Bob"], "Bob,Zed hi") == (["Bob", "Zed"], "hi")


def test_a_name_that_only_starts_like_a_member_is_not_that_member() -> None:
    assert split_many(["Alice", "Bob"], "Bobby hi") == (["Bobby"], "hi")
