"""Application messages: every type round-trips; anything off-schema is refused."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from codec import (
    MAX_ENDPOINT_ID,
    Chat,
    ControlGrant,
    ControlMoved,
    Departure,
    Hello,
    KeepAlive,
    Leave,
    LimitExceededError,
    Limits,
    LocalProtocolError,
    Member,
    Message,
    ProtocolError,
    Role,
    Roster,
    SessionEnd,
    decode_message,
    encode_message,
    is_clean_text,
)


def fullwidth(text: str) -> str:
    """The full-width look-alike of ASCII *text* (what NFKC folds back)."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


KEY = bytes(range(32))
SID = bytes(range(16))
REP = Member(0, "Dana (support)", Role.REP, KEY)
CUSTOMER = Member(1, "Jo Müller", Role.CUSTOMER, bytes(32))
ASSISTANT = Member(2147483647, "李雷", Role.ASSISTANT, b"\xff" * 32)

MESSAGES: list[Message] = [
    Hello("Jo", KEY),
    Roster((), SID),
    Roster((REP, CUSTOMER, ASSISTANT), SID),
    Roster((REP,), SID, None, ((1, Departure.REMOVED), (2, Departure.LOST), (3, Departure.LEFT))),
    Roster((REP, CUSTOMER), SID, None, standby="60392817"),
    KeepAlive(),
    Chat("hello"),
    Chat("", ()),
    Chat("line one\nline two\n\tindented", (1, 2)),
    Chat("x" * 8000),
    Chat("emoji 👋 and accents àéî", (0,)),
    SessionEnd("Dana"),
    ControlMoved(4),
    ControlGrant(0),
    ControlGrant(9),
    ControlGrant(0, "billing", "CASE-7"),
    ControlGrant(2, "general", None),
    Leave(),
    Leave("closing the laptop"),
]

CONTROL_TEXT = [
    pytest.param("\x1b[2J\x1b[Hpwned", id="ansi-clear"),
    pytest.param("\x1b]0;title\x07", id="osc-title"),
    pytest.param("\x9b31m", id="c1-csi"),
    pytest.param("evil\u202etxt.exe", id="bidi-override"),
    pytest.param("\u2066isolate\u2069", id="bidi-isolate"),
    pytest.param("nul\x00byte", id="nul"),
    pytest.param("back\bspace", id="backspace"),
    pytest.param("carriage\rreturn", id="carriage-return"),
    pytest.param("Jo\u2028Dana (rep)", id="line-separator"),
    pytest.param("para\u2029graph", id="paragraph-separator"),
]


def raw(**fields: Any) -> bytes:
    return msgpack.packb(fields, use_bin_type=True)


def member(**overrides: Any) -> dict[str, Any]:
    return {"id": 1, "name": "Jo", "role": "customer", "key": KEY} | overrides


def refused(data: bytes, reason: str = "malformed", limits: Limits | None = None) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        decode_message(data) if limits is None else decode_message(data, limits)
    assert info.value.reason == reason
    return info.value


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: type(m).__name__)
def test_every_message_type_round_trips(msg: Message) -> None:
    assert decode_message(encode_message(msg)) == msg


def test_encoding_something_that_is_not_a_message_is_a_local_error() -> None:
    with pytest.raises(LocalProtocolError):
        encode_message(REP)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(raw(t="shell", cmd="rm -rf /"), id="unknown-type"),
        pytest.param(raw(t="", text="x", to=[]), id="empty-type"),
        pytest.param(raw(text="x", to=[]), id="no-type"),
        pytest.param(raw(t=1, text="x", to=[]), id="int-type"),
        pytest.param(raw(t=b"chat", text="x", to=[]), id="bytes-type"),
        pytest.param(msgpack.packb(["chat", "x"]), id="array"),
        pytest.param(msgpack.packb("chat"), id="string"),
        pytest.param(msgpack.packb(None), id="nil"),
    ],
)
def test_a_message_without_a_known_type_is_refused(data: bytes) -> None:
    refused(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(raw(t="chat", text="x"), id="chat-missing-to"),
        pytest.param(raw(t="chat", to=[]), id="chat-missing-text"),
        pytest.param(raw(t="chat", text="x", to=[], html="<b>"), id="chat-extra"),
        pytest.param(raw(t="hello", name="Jo"), id="hello-missing-key"),
        pytest.param(raw(t="hello", name="Jo", key=KEY, admin=True), id="hello-extra"),
        pytest.param(raw(t="roster"), id="roster-missing"),
        pytest.param(raw(t="roster", members=[member()]), id="roster-missing-session"),
        pytest.param(raw(t="alive", now=1), id="alive-extra"),
        pytest.param(raw(t="end"), id="end-missing"),
        pytest.param(raw(t="leave"), id="leave-missing"),
        pytest.param(raw(t="leave", reason="", by="x"), id="leave-extra"),
        pytest.param(raw(t="roster", session=SID, members=[member(extra=1)]), id="member-extra"),
        pytest.param(
            raw(t="roster", session=SID, members=[{"id": 1, "name": "Jo", "role": "rep"}]),
            id="member-missing",
        ),
    ],
)
def test_a_missing_or_extra_field_is_refused(data: bytes) -> None:
    refused(data)


def test_a_bytes_field_name_is_refused_not_crashed_on() -> None:
    data = msgpack.packb({"t": "chat", "text": "x", "to": [], b"to": 1}, use_bin_type=True)
    assert "wrong fields" in str(refused(data))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(raw(t="chat", text=b"x", to=[]), id="chat-text-bytes"),
        pytest.param(raw(t="chat", text=None, to=[]), id="chat-text-nil"),
        pytest.param(raw(t="chat", text="x", to=1), id="chat-to-int"),
        pytest.param(raw(t="chat", text="x", to=["1"]), id="chat-to-str"),
        pytest.param(raw(t="chat", text="x", to=[True]), id="chat-to-bool"),
        pytest.param(raw(t="chat", text="x", to=[-1]), id="chat-to-negative"),
        pytest.param(raw(t="chat", text="x", to=[2**31]), id="chat-to-huge"),
        pytest.param(raw(t="chat", text="x", to=list(range(65))), id="chat-to-too-many"),
        pytest.param(raw(t="hello", name="Jo", key="k" * 32), id="hello-key-str"),
        pytest.param(raw(t="hello", name="Jo", key=KEY[:31]), id="hello-key-short"),
        pytest.param(raw(t="hello", name="Jo", key=KEY + b"\x00"), id="hello-key-long"),
        pytest.param(raw(t="hello", name=["Jo"], key=KEY), id="hello-name-list"),
        pytest.param(raw(t="hello", name="", key=KEY), id="hello-name-empty"),
        pytest.param(raw(t="hello", name="   ", key=KEY), id="hello-name-blank"),
        pytest.param(raw(t="end", by=1), id="end-by-int"),
        pytest.param(raw(t="leave", reason=None), id="leave-reason-nil"),
        pytest.param(raw(t="control", to="4"), id="control-to-str"),
        pytest.param(raw(t="control", to=-1), id="control-to-negative"),
        pytest.param(raw(t="grant", secret="093617", failures=0), id="grant-carrying-a-secret"),
        pytest.param(raw(t="grant", failures=-1), id="grant-failures-neg"),
        pytest.param(raw(t="grant", failures=True), id="grant-failures-bool"),
        pytest.param(raw(t="roster", session=SID, members={}), id="roster-map"),
        pytest.param(
            raw(t="roster", session=SID, members=[], standby="6039281"), id="standby-short"
        ),
        pytest.param(
            raw(t="roster", session=SID, members=[], standby="room1234"), id="standby-not-digits"
        ),
        pytest.param(raw(t="roster", session=SID, members=[], standby=60392817), id="standby-int"),
        pytest.param(raw(t="roster", session=SID[:15], members=[]), id="roster-session-short"),
        pytest.param(raw(t="roster", session="s" * 16, members=[]), id="roster-session-str"),
        pytest.param(
            raw(t="roster", session=SID, members=[[1, "Jo", "rep", KEY]]), id="member-array"
        ),
        pytest.param(
            raw(t="roster", session=SID, members=[member(role="admin")]), id="role-unknown"
        ),
        pytest.param(raw(t="roster", session=SID, members=[member(role=["rep"])]), id="role-list"),
        pytest.param(raw(t="roster", session=SID, members=[member(id="1")]), id="member-id-str"),
        pytest.param(
            raw(t="roster", session=SID, members=[member(id=-5)]), id="member-id-negative"
        ),
        pytest.param(
            raw(t="roster", session=SID, members=[member(key=b"")]), id="member-key-empty"
        ),
        pytest.param(
            raw(t="roster", session=SID, members=[member(name="")]), id="member-name-empty"
        ),
        pytest.param(
            raw(t="roster", session=SID, members=[member(id=i) for i in range(65)]),
            id="roster-too-many",
        ),
    ],
)
def test_a_field_of_the_wrong_type_or_shape_is_refused(data: bytes) -> None:
    refused(data)


@pytest.mark.parametrize(
    "gone",
    [
        pytest.param([[1, "vanished"]], id="unknown-way"),
        pytest.param([[1]], id="short-entry"),
        pytest.param([[-1, "left"]], id="bad-id"),
        pytest.param([[1, ["left"]]], id="unhashable-way"),
        pytest.param({"1": "left"}, id="not-a-list"),
        pytest.param([[i, "left"] for i in range(65)], id="too-many"),
    ],
)
def test_a_roster_saying_badly_who_went_is_refused(gone: object) -> None:
    refused(raw(t="roster", session=SID, members=[], gone=gone))


def test_a_roster_with_duplicate_ids_is_refused() -> None:
    data = raw(t="roster", session=SID, members=[member(id=3, name="A"), member(id=3, name="B")])
    assert "duplicate" in str(refused(data))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(raw(t="hello", name="x" * 65, key=KEY), id="hello-name"),
        pytest.param(
            raw(t="roster", session=SID, members=[member(name="x" * 65)]), id="member-name"
        ),
        pytest.param(raw(t="end", by="x" * 65), id="end-by"),
        pytest.param(raw(t="chat", text="x" * 8001, to=[]), id="chat-text"),
        pytest.param(raw(t="leave", reason="x" * 201), id="leave-reason"),
    ],
)
def test_too_long_names_and_chat_are_refused(data: bytes) -> None:
    refused(data, reason="limit")


def test_limits_on_names_and_chat_are_per_site() -> None:
    limits = Limits(max_name_chars=4, max_chat_chars=10)
    refused(encode_message(Hello("Jonas", KEY)), "limit", limits)
    refused(encode_message(Chat("x" * 11)), "limit", limits)
    assert decode_message(encode_message(Hello("Jo", KEY)), limits) == Hello("Jo", KEY)


def test_a_message_over_the_size_limit_is_refused_before_unpacking() -> None:
    with pytest.raises(LimitExceededError):
        decode_message(encode_message(Chat("x" * 100)), Limits(max_message_bytes=50))


@pytest.mark.parametrize("text", CONTROL_TEXT)
def test_control_characters_in_names_are_refused(text: str) -> None:
    refused(raw(t="hello", name=text, key=KEY))
    refused(raw(t="roster", session=SID, members=[member(name=text)]))
    refused(raw(t="end", by=text))


@pytest.mark.parametrize("text", CONTROL_TEXT)
def test_control_characters_in_chat_are_refused(text: str) -> None:
    refused(raw(t="chat", text=text, to=[]))
    refused(raw(t="leave", reason=text))


@pytest.mark.parametrize("text", ["two\nlines", "tab\there"])
def test_newlines_and_tabs_are_refused_in_names(text: str) -> None:
    refused(raw(t="hello", name=text, key=KEY))


def test_multiline_chat_with_newlines_and_tabs_is_allowed() -> None:
    text = "Steps:\n\t1. open Settings\n\t2. click Update\n"
    assert decode_message(raw(t="chat", text=text, to=[])) == Chat(text)


def test_a_refused_character_is_named_in_the_decoders_error() -> None:
    error = refused(raw(t="chat", text="invoice\u202efdp.exe", to=[]))
    assert "U+202E RIGHT-TO-LEFT OVERRIDE is not allowed" in str(error)


@pytest.mark.parametrize(
    "text",
    [
        "family 👨\u200d👩\u200d👧",
        "🏳\ufe0f\u200d🌈",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        "Donau\u00addampf\u00adschiff",
        "e\u0301 and \u0928\u093f",
    ],
    ids=["zwj-family", "rainbow-flag", "persian-zwnj", "soft-hyphen", "combining"],
)
def test_text_people_write_is_delivered_in_chat_and_names(text: str) -> None:
    assert decode_message(raw(t="chat", text=text, to=[])) == Chat(text)
    assert decode_message(raw(t="hello", name=text[:64], key=KEY)) == Hello(text[:64], KEY)


@pytest.mark.parametrize(
    "name",
    [
        "Alice [rep]",
        "Alice (rep)",
        "Bob (private)",
        fullwidth("REP") + " Alice",
        "Alice " + fullwidth("[x]"),
        "the Customer",
    ],
)
def test_a_name_posing_as_a_role_is_refused_wherever_names_travel(name: str) -> None:
    assert "chat marks roles" in str(refused(raw(t="hello", name=name, key=KEY)))
    refused(raw(t="roster", members=[member(name=name)]))
    refused(raw(t="end", by=name))


@pytest.mark.parametrize("role", list(Role))
def test_every_role_word_is_refused_in_a_name(role: Role) -> None:
    refused(raw(t="hello", name=f"Jo {role.value}", key=KEY))


def test_member_ids_have_the_same_bound_as_endpoint_ids() -> None:
    top = decode_message(raw(t="chat", text="x", to=[MAX_ENDPOINT_ID]))
    assert top == Chat("x", (MAX_ENDPOINT_ID,))
    refused(raw(t="chat", text="x", to=[MAX_ENDPOINT_ID + 1]))
    refused(raw(t="roster", members=[member(id=MAX_ENDPOINT_ID + 1)]))


@pytest.mark.parametrize(
    ("text", "multiline", "clean"),
    [
        ("plain", False, True),
        ("Zoë 李 👋", False, True),
        ("a\nb", False, False),
        ("a\nb", True, True),
        ("a\r\nb", True, False),
        ("\x1b[31m", True, False),
        ("\u202e", True, False),
        ("", False, True),
    ],
)
def test_is_clean_text(text: str, multiline: bool, clean: bool) -> None:
    assert is_clean_text(text, multiline=multiline) is clean


def test_deeply_nested_input_is_refused_for_its_depth() -> None:
    nested: Any = []
    for _ in range(20):
        nested = [nested]
    # The id list is where a list belongs: only the depth limit can refuse it.
    assert "nested too deeply" in str(refused(raw(t="chat", text="x", to=nested)))


def test_nesting_up_to_the_depth_limit_is_not_refused_for_depth() -> None:
    limits = Limits(max_depth=3)
    assert decode_message(raw(t="chat", text="x", to=[]), limits) == Chat("x")
    too_deep = raw(t="chat", text="x", to=[[[]]])
    assert "nested too deeply" in str(refused(too_deep, limits=limits))
