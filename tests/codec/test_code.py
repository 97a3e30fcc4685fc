"""Session codes and join links, as a person types and pastes them."""

from __future__ import annotations

import re

import pytest

from codec import BadCodeError, JoinTarget, SessionCode, is_valid_room_id


def test_a_generated_code_is_four_digits_a_dash_and_six_digits() -> None:
    for _ in range(50):
        code = SessionCode.generate()
        assert re.fullmatch(r"[0-9]{4}-[0-9]{6}", str(code))
        assert is_valid_room_id(code.room)


def test_generated_codes_differ() -> None:
    assert len({str(SessionCode.generate()) for _ in range(50)}) > 45


def test_a_code_parses_back_to_itself() -> None:
    code = SessionCode.generate()
    assert SessionCode.parse(str(code)) == code


@pytest.mark.parametrize(
    "typed",
    [
        "4821-093617",
        "4821 093617",
        "  4821-093617\n",
        "4821 - 093617",
        "4821--093617",
        "-4821-093617-",
        "\t4821   093617 ",
    ],
)
def test_parse_forgives_spaces_and_dashes(typed: str) -> None:
    assert SessionCode.parse(typed) == SessionCode("4821", "093617")


def test_parse_keeps_leading_zeros() -> None:
    assert SessionCode.parse("0007-000123") == SessionCode("0007", "000123")


def test_a_longer_secret_is_accepted() -> None:
    assert SessionCode.parse("4821-0936171234").secret == "0936171234"


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("4821-O93617", id="letter-o"),
        pytest.param("abcd-093617", id="letters"),
        pytest.param("4821-09361x", id="trailing-letter"),
        pytest.param("4821-\uff10\uff19\uff13\uff16\uff11\uff17", id="fullwidth-digits"),
        pytest.param("4821-٠٩٣٦١٧", id="arabic-indic-digits"),
        pytest.param("4821_093617", id="underscore"),
        pytest.param("4821093617", id="no-separator"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("-", id="dash"),
    ],
)
def test_parse_rejects_what_is_not_a_code(typed: str) -> None:
    with pytest.raises(BadCodeError, match="4821-093617"):
        SessionCode.parse(typed)


@pytest.mark.parametrize("secret", ["0", "12345", "09361"])
def test_parse_rejects_a_short_secret(secret: str) -> None:
    with pytest.raises(BadCodeError, match="at least 6"):
        SessionCode.parse(f"4821-{secret}")


@pytest.mark.parametrize("size", [65, 10_000, 10_000_000])
def test_parse_rejects_huge_input(size: int) -> None:
    with pytest.raises(BadCodeError, match="too long"):
        SessionCode.parse("4821-" + "1" * size)


def test_replace_secret_changes_the_secret_and_keeps_the_room() -> None:
    code = SessionCode("4821", "093617")
    fresh = code.replace_secret()
    assert fresh.room == code.room
    assert fresh.secret != code.secret
    assert re.fullmatch(r"[0-9]{6}", fresh.secret)
    assert fresh.password != code.password


def test_the_password_binds_room_and_secret() -> None:
    assert SessionCode("4821", "093617").password != SessionCode("4822", "093617").password
    assert SessionCode("48", "21093617").password != SessionCode("4821", "093617").password


@pytest.mark.parametrize(
    ("relay", "link"),
    [
        ("ws://127.0.0.1:8765", "http://127.0.0.1:8765/join#4821-093617"),
        ("wss://relay.example.org", "https://relay.example.org/join#4821-093617"),
        ("ws://[::1]:9000", "http://[::1]:9000/join#4821-093617"),
    ],
)
def test_a_join_link_round_trips(relay: str, link: str) -> None:
    target = JoinTarget(relay, SessionCode("4821", "093617"))
    assert target.link == link
    assert JoinTarget.from_link(link) == target


def test_a_pasted_link_with_spaces_around_it_is_accepted() -> None:
    target = JoinTarget.from_link("  https://relay.example.org/join#4821-093617\n")
    assert target == JoinTarget("wss://relay.example.org", SessionCode("4821", "093617"))


@pytest.mark.parametrize(
    "link",
    [
        pytest.param("ws://relay.example.org/join#4821-093617", id="ws-scheme"),
        pytest.param("ftp://relay.example.org/join#4821-093617", id="ftp-scheme"),
        pytest.param("relay.example.org/join#4821-093617", id="no-scheme"),
        pytest.param("https:///join#4821-093617", id="no-host"),
        pytest.param("https://relay.example.org/join", id="no-fragment"),
        pytest.param("https://relay.example.org/join#", id="empty-fragment"),
        pytest.param("https://relay.example.org/join#hello", id="fragment-not-a-code"),
        pytest.param("https://relay.example.org/join#4821-123", id="short-secret"),
        pytest.param("http://[::1/join#4821-093617", id="unclosed-ipv6"),
        pytest.param("http://[oops]/join#4821-093617", id="bad-ipv6"),
        pytest.param("", id="empty"),
        pytest.param("4821-093617", id="a-bare-code"),
    ],
)
def test_a_bad_join_link_is_rejected(link: str) -> None:
    with pytest.raises(BadCodeError):
        JoinTarget.from_link(link)
