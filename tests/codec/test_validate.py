"""The one rule for text and names: what people write passes, what repaints a screen does not."""

from __future__ import annotations

import pytest

from codec import name_key, name_problem, text_problem

LIMIT = 8000


def fullwidth(text: str) -> str:
    """The full-width look-alike of ASCII *text* (what NFKC folds back)."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def problem(text: str, *, multiline: bool = True) -> str | None:
    return text_problem(text, max_chars=LIMIT, multiline=multiline)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("family 👨\u200d👩\u200d👧", id="zwj-family"),
        pytest.param("🏳\ufe0f\u200d🌈", id="rainbow-flag"),
        pytest.param("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", id="tag"),
        pytest.param("🇩🇪 🇮🇷", id="regional-indicator-flags"),
        pytest.param("❤\ufe0f 👍🏽", id="variation-selector-and-skin-tone"),
        pytest.param("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", id="persian-zwnj"),
        pytest.param("Donau\u00addampf", id="soft-hyphen"),
        pytest.param("e\u0301 \u0928\u093f \u05e9\u05c1", id="combining-marks"),
        pytest.param("\u05e9\u05dc\u05d5\u05dd\u200f 123", id="right-to-left-mark"),
        pytest.param("zero\u200bwidth", id="zero-width-space"),
        pytest.param("\ue000\U000e0000", id="private-use-and-unassigned"),
        pytest.param("Steps:\n\t1. open Settings", id="newline-and-tab"),
    ],
)
def test_text_people_really_write_passes(text: str) -> None:
    assert problem(text) is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("evil\u202etxt.exe", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u202dforced", "U+202D LEFT-TO-RIGHT OVERRIDE"),
        ("\u202bembedded", "U+202B RIGHT-TO-LEFT EMBEDDING"),
        ("\u2067isolate\u2069", "U+2067 RIGHT-TO-LEFT ISOLATE"),
        ("\u2069", "U+2069 POP DIRECTIONAL ISOLATE"),
        ("\x1b[2J", "U+001B ESCAPE"),
        ("nul\x00", "U+0000 NULL"),
        ("bell\x07", "U+0007 ALERT"),
        ("carriage\rreturn", "U+000D CARRIAGE RETURN"),
        ("del\x7f", "U+007F DELETE"),
        ("\x9b31m", "U+009B CONTROL SEQUENCE INTRODUCER"),
        ("next\x85line", "U+0085 NEXT LINE"),
        ("Jo\u2028Dana", "U+2028 LINE SEPARATOR"),
        ("para\u2029graph", "U+2029 PARAGRAPH SEPARATOR"),
        ("\ufff9hidden\ufffb", "U+FFF9 INTERLINEAR ANNOTATION ANCHOR"),
        ("\u206e", "U+206E NATIONAL DIGIT SHAPES"),
        ("\ud800", "U+D800"),
    ],
)
def test_a_refused_character_is_named(text: str, named: str) -> None:
    assert problem(text) == f"{named} is not allowed"


@pytest.mark.parametrize("text", ["a\nb", "a\tb"])
def test_newline_and_tab_are_refused_in_one_line_text(text: str) -> None:
    assert problem(text, multiline=False) is not None


def test_over_long_text_is_refused_with_its_length_and_the_limit() -> None:
    assert problem("x" * 100_000) == "100,000 characters is over the limit of 8,000"
    assert problem("x" * LIMIT) is None


@pytest.mark.parametrize(
    "name",
    [
        "Alice (rep)",
        "Alice [support]",
        "Bob (private)",
        "Eve assistant",
        fullwidth("CUSTOMER"),
        fullwidth("x]"),
    ],
)
def test_a_name_may_not_use_the_brackets_or_words_of_the_role_marks(name: str) -> None:
    reason = name_problem(name, max_chars=64)
    assert reason is not None
    assert "chat marks roles" in reason


@pytest.mark.parametrize(
    "name",
    [
        "Alice",
        "Dana (support)",
        "Reppert",
        "Jo Müller",
        "\u0645\u0631\u06cc\u0645",
        "👩\u200d💻 Kim",
    ],
)
def test_ordinary_names_pass(name: str) -> None:
    assert name_problem(name, max_chars=64) is None


@pytest.mark.parametrize("name", ["", "   ", "\u200b", "\u0301"])
def test_a_name_needs_something_visible(name: str) -> None:
    assert name_problem(name, max_chars=64) == "a name needs at least one visible character"


def test_a_long_name_is_refused_with_its_length() -> None:
    assert name_problem("x" * 65, max_chars=64) == "a name of 65 characters is over the limit of 64"


def test_names_compare_after_nfkc_and_case_folding_ignoring_invisible_characters() -> None:
    assert name_key(fullwidth("ALICE")) == name_key("alice")
    assert name_key("Ali\u200bce\u00ad") == name_key("Alice")
