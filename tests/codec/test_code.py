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
        pytest.param("4821093617", id="no-separator"),
        pytest.param("4821\u2013093617", id="en-dash"),
        pytest.param("4821\u2014093617", id="em-dash"),
        pytest.param("4821\u2212093617", id="minus-sign"),
        pytest.param("4821\u2010093617", id="hyphen"),
        pytest.param("4821\u2011093617", id="non-breaking-hyphen"),
        pytest.param("4821\uff0d093617", id="fullwidth-hyphen"),
        pytest.param("4821\u00a0093617", id="no-break-space"),
        pytest.param("4821 093 617", id="grouped-secret"),
    ],
)
def test_parse_accepts_any_dash_a_space_or_nothing(typed: str) -> None:
    assert SessionCode.parse(typed) == SessionCode("4821", "093617")


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("4821-O93617", id="letter-o"),
        pytest.param("abcd-093617", id="letters"),
        pytest.param("4821-09361x", id="trailing-letter"),
        pytest.param("4821-\uff10\uff19\uff13\uff16\uff11\uff17", id="fullwidth-digits"),
        pytest.param("4821-٠٩٣٦١٧", id="arabic-indic-digits"),
        pytest.param("4821_093617", id="underscore"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("-", id="dash"),
    ],
)
def test_parse_rejects_what_is_not_a_code_and_describes_the_form(typed: str) -> None:
    with pytest.raises(BadCodeError, match="4 digits, a dash and 6 more digits") as info:
        SessionCode.parse(typed)
    assert not re.search(r"\d{4}-\d{6}", str(info.value)), "no sample that looks like a real code"


@pytest.mark.parametrize("secret", ["0", "12345", "09361"])
def test_parse_rejects_a_short_secret(secret: str) -> None:
    with pytest.raises(BadCodeError, match=f"has {len(secret)} digits after the first 4"):
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
        ("ws://127.0.0.1:8765", "helpline://127.0.0.1:8765/4821-093617?tls=off"),
        ("wss://relay.example.org", "helpline://relay.example.org/4821-093617"),
        ("wss://relay.example.org:8443", "helpline://relay.example.org:8443/4821-093617"),
        ("wss://example.org/helpline", "helpline://example.org/helpline/4821-093617"),
        ("ws://[::1]:9000/a/b", "helpline://[::1]:9000/a/b/4821-093617?tls=off"),
    ],
)
def test_a_join_link_carries_the_relay_address_and_the_code(relay: str, link: str) -> None:
    target = JoinTarget(relay, SessionCode("4821", "093617"))
    assert target.link == link
    assert JoinTarget.from_link(link) == target


def test_a_join_link_is_never_an_address_a_browser_opens_at_the_relay() -> None:
    link = JoinTarget("wss://relay.example.org", SessionCode("4821", "093617")).link
    assert link.startswith("helpline://")
    assert "#" not in link


def test_a_pasted_link_with_spaces_around_it_is_accepted() -> None:
    target = JoinTarget.from_link("  helpline://relay.example.org/4821-093617\n")
    assert target == JoinTarget("wss://relay.example.org", SessionCode("4821", "093617"))


@pytest.mark.parametrize(
    "link",
    [
        pytest.param("https://relay.example.org/join#4821-093617", id="old-web-link"),
        pytest.param("ws://relay.example.org/4821-093617", id="ws-scheme"),
        pytest.param("relay.example.org/4821-093617", id="no-scheme"),
        pytest.param("helpline:///4821-093617", id="no-host"),
        pytest.param("helpline://relay.example.org", id="no-code"),
        pytest.param("helpline://relay.example.org/hello", id="not-a-code"),
        pytest.param("helpline://relay.example.org/4821-123", id="short-secret"),
        pytest.param("helpline://relay.example.org/4821-093617#x", id="fragment"),
        pytest.param("helpline://relay.example.org/4821-093617?tls=maybe", id="bad-tls"),
        pytest.param("helpline://relay.example.org/4821-093617?admin=1", id="unknown-setting"),
        pytest.param("helpline://relay.example.org:99999/4821-093617", id="bad-port"),
        pytest.param("helpline://[::1/4821-093617", id="unclosed-ipv6"),
        pytest.param("", id="empty"),
        pytest.param("4821-093617", id="a-bare-code"),
    ],
)
def test_a_bad_join_link_is_rejected(link: str) -> None:
    with pytest.raises(BadCodeError):
        JoinTarget.from_link(link)
