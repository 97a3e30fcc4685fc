"""Session codes and join links, as a person types and pastes them."""

from __future__ import annotations

import re

import pytest

from codec import BadCodeError, JoinTarget, SessionCode, is_valid_room_id

CODE = SessionCode("48219376", 3, "093617")


def test_a_generated_code_is_fifteen_digits_in_groups_of_four_four_three_four() -> None:
    for _ in range(50):
        code = SessionCode.generate()
        assert re.fullmatch(r"[0-9]{4}-[0-9]{4}-[0-9]{3}-[0-9]{4}", str(code))
        assert is_valid_room_id(code.room)


def test_the_room_id_is_the_first_eight_digits_and_the_session_number() -> None:
    code = SessionCode.parse("4821-9376-309-3617")
    assert code.room == "48219376"
    assert code.number == "4821-9376"


def test_the_slot_label_is_the_ninth_digit_and_the_secret_the_last_six() -> None:
    code = SessionCode.parse("4821-9376-309-3617")
    assert (code.label, code.secret) == (3, "093617")


def test_a_generated_code_takes_the_slot_label_it_is_given() -> None:
    assert {SessionCode.generate(label).label for label in range(10)} == set(range(10))


def test_the_secret_is_six_random_digits_whatever_the_label() -> None:
    secrets = {SessionCode.generate(7).secret for _ in range(200)}
    assert all(re.fullmatch(r"[0-9]{6}", s) for s in secrets)
    assert len(secrets) > 190
    assert {s[0] for s in secrets} == set("0123456789"), "no digit of the secret is the label"


def test_generated_codes_differ() -> None:
    assert len({str(SessionCode.generate()) for _ in range(50)}) > 45


def test_a_code_parses_back_to_itself() -> None:
    code = SessionCode.generate()
    assert SessionCode.parse(str(code)) == code


@pytest.mark.parametrize(
    "typed",
    [
        "4821-9376-309-3617",
        "4821 9376 309 3617",
        "  4821-9376-309-3617\n",
        "4821 - 9376 - 309 - 3617",
        "4821--9376--309--3617",
        "-4821-9376-309-3617-",
        "\t4821   9376 309   3617 ",
        "48219376-3093617",
        "4821-9376-3-093617",
    ],
)
def test_parse_forgives_spaces_and_dashes(typed: str) -> None:
    assert SessionCode.parse(typed) == CODE


def test_parse_keeps_leading_zeros() -> None:
    assert SessionCode.parse("0007-0000-000-0123") == SessionCode("00070000", 0, "000123")


def test_a_longer_secret_is_accepted() -> None:
    assert SessionCode.parse("4821-9376-309-3617-1234").secret == "0936171234"


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("482193763093617", id="no-separator"),
        pytest.param("4821\u20139376\u2013309\u20133617", id="en-dash"),
        pytest.param("4821\u20149376\u2014309\u20143617", id="em-dash"),
        pytest.param("4821\u22129376\u2212309\u22123617", id="minus-sign"),
        pytest.param("4821\u20109376\u2010309\u20103617", id="hyphen"),
        pytest.param("4821\u20119376\u2011309\u20113617", id="non-breaking-hyphen"),
        pytest.param("4821\uff0d9376\uff0d309\uff0d3617", id="fullwidth-hyphen"),
        pytest.param("4821\u00a09376\u00a0309\u00a03617", id="no-break-space"),
        pytest.param("482 193 763 093 617", id="groups-of-three"),
    ],
)
def test_parse_accepts_any_dash_a_space_or_nothing(typed: str) -> None:
    assert SessionCode.parse(typed) == CODE


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("4821-9376-3O9-3617", id="letter-o"),
        pytest.param("abcd-9376-309-3617", id="letters"),
        pytest.param("4821-9376-309-361x", id="trailing-letter"),
        pytest.param("4821-9376-309-\uff13\uff16\uff11\uff17", id="fullwidth-digits"),
        pytest.param("4821-9376-309-٣٦١٧", id="arabic-indic-digits"),
        pytest.param("4821_9376_309_3617", id="underscore"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("-", id="dash"),
    ],
)
def test_parse_rejects_what_is_not_a_code_and_describes_the_form(typed: str) -> None:
    with pytest.raises(BadCodeError, match="15 digits in four groups of 4, 4, 3 and 4") as info:
        SessionCode.parse(typed)
    assert not re.search(r"\d{3}", str(info.value)), "no sample that looks like a real code"


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("4821-9376-309-361", id="a-digit-short"),
        pytest.param("4821-9376-3", id="no-secret"),
        pytest.param("4821-9376", id="the-session-number-alone"),
        pytest.param("4821" + "-093617", id="a-code-of-the-old-shorter-form"),
        pytest.param("1", id="one-digit"),
    ],
)
def test_parse_rejects_a_short_code_saying_how_many_digits_it_has(typed: str) -> None:
    digits = sum(c.isdigit() for c in typed)
    with pytest.raises(BadCodeError, match=f"has only {digits} digits; a session code is 15"):
        SessionCode.parse(typed)


@pytest.mark.parametrize("size", [65, 10_000, 10_000_000])
def test_parse_rejects_huge_input(size: int) -> None:
    with pytest.raises(BadCodeError, match="too long"):
        SessionCode.parse("4821-9376-309-" + "1" * size)


def test_replace_secret_changes_the_secret_and_keeps_room_and_label() -> None:
    fresh = CODE.replace_secret()
    assert (fresh.room, fresh.label) == (CODE.room, CODE.label)
    assert fresh.secret != CODE.secret
    assert re.fullmatch(r"[0-9]{6}", fresh.secret)
    assert fresh.password != CODE.password


def test_a_sibling_code_shares_the_room_in_another_slot_with_its_own_secret() -> None:
    sibling = CODE.sibling(5)
    assert (sibling.room, sibling.label) == (CODE.room, 5)
    assert sibling.secret != CODE.secret


def test_the_password_binds_room_label_and_secret() -> None:
    assert CODE.password != SessionCode("48219377", 3, "093617").password
    assert CODE.password != SessionCode("48219376", 4, "093617").password
    assert CODE.password != SessionCode("48219376", 3, "093618").password
    assert SessionCode("4821937", 6, "3093617").password != CODE.password


@pytest.mark.parametrize(
    ("relay", "link"),
    [
        ("ws://127.0.0.1:8765", "helpline://127.0.0.1:8765/4821-9376-309-3617?tls=off"),
        ("wss://relay.example.org", "helpline://relay.example.org/4821-9376-309-3617"),
        ("wss://relay.example.org:8443", "helpline://relay.example.org:8443/4821-9376-309-3617"),
        ("wss://example.org/helpline", "helpline://example.org/helpline/4821-9376-309-3617"),
        ("ws://[::1]:9000/a/b", "helpline://[::1]:9000/a/b/4821-9376-309-3617?tls=off"),
    ],
)
def test_a_join_link_carries_the_relay_address_and_the_code(relay: str, link: str) -> None:
    target = JoinTarget(relay, CODE)
    assert target.link == link
    assert JoinTarget.from_link(link) == target


def test_a_join_link_is_never_an_address_a_browser_opens_at_the_relay() -> None:
    link = JoinTarget("wss://relay.example.org", CODE).link
    assert link.startswith("helpline://")
    assert "#" not in link


def test_a_pasted_link_with_spaces_around_it_is_accepted() -> None:
    target = JoinTarget.from_link("  helpline://relay.example.org/4821-9376-309-3617\n")
    assert target == JoinTarget("wss://relay.example.org", CODE)


@pytest.mark.parametrize(
    "link",
    [
        pytest.param("https://relay.example.org/join#4821-093617", id="old-web-link"),
        pytest.param("ws://relay.example.org/4821-9376-309-3617", id="ws-scheme"),
        pytest.param("relay.example.org/4821-9376-309-3617", id="no-scheme"),
        pytest.param("helpline:///4821-9376-309-3617", id="no-host"),
        pytest.param("helpline://relay.example.org", id="no-code"),
        pytest.param("helpline://relay.example.org/hello", id="not-a-code"),
        pytest.param("helpline://relay.example.org/4821-9376-309-361", id="short-secret"),
        pytest.param("helpline://relay.example.org/4821-9376-309-3617#x", id="fragment"),
        pytest.param("helpline://relay.example.org/4821-9376-309-3617?tls=maybe", id="bad-tls"),
        pytest.param(
            "helpline://relay.example.org/4821-9376-309-3617?admin=1", id="unknown-setting"
        ),
        pytest.param("helpline://relay.example.org:99999/4821-9376-309-3617", id="bad-port"),
        pytest.param("helpline://[::1/4821-9376-309-3617", id="unclosed-ipv6"),
        pytest.param("", id="empty"),
        pytest.param("4821-9376-309-3617", id="a-bare-code"),
    ],
)
def test_a_bad_join_link_is_rejected(link: str) -> None:
    with pytest.raises(BadCodeError):
        JoinTarget.from_link(link)
