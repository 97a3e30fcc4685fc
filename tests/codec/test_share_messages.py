"""Sharing messages: every type round-trips; anything off-schema or out of bounds is refused."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from codec import (
    MAX_CLIPBOARD_CHARS,
    MAX_CREDIT,
    Activity,
    ActivityStatus,
    ClipboardText,
    ConsentDeny,
    ConsentGrant,
    ConsentRequest,
    ConsentRevoke,
    CreditGrant,
    DenyCause,
    InputRefused,
    KeyInput,
    Monitor,
    MonitorList,
    PointerButton,
    PointerMotion,
    PointerWheel,
    ProtocolError,
    ScreenUpdate,
    ShareMessage,
    ViewSelect,
    decode_message,
    encode_message,
)

SHARE_MESSAGES: list[ShareMessage] = [
    ConsentRequest(Activity.VIEW_DESKTOP, 0),
    ConsentRequest(Activity.CONTROL_APP, 7, "Calculator — Äpfel"),
    ConsentGrant(Activity.VIEW_APP, 0, "Untitled Document 1"),
    ConsentDeny(Activity.CONTROL_DESKTOP, 0, "", DenyCause.NO_ANSWER),
    ConsentDeny(Activity.VIEW_DESKTOP, 3, "no X display", DenyCause.UNABLE),
    ConsentDeny(Activity.CONTROL_APP, 3, "control is turned off", DenyCause.POLICY),
    ConsentRevoke(Activity.SHOW_REP_DESKTOP, 2147483647),
    ActivityStatus(None, 0),
    ActivityStatus(Activity.CONTROL_DESKTOP, 0, "monitor 2"),
    ScreenUpdate(b"\x95" + bytes(1000)),
    CreditGrant(2, keyframe=True),
    CreditGrant(0),
    MonitorList((Monitor(0, 0, 1280, 800), Monitor(1280, 0, 1024, 768))),
    ViewSelect(0),
    ViewSelect(2, lossy=True),
    PointerMotion(0, 0),
    PointerMotion(8191, 8191),
    PointerButton(1, True, 10, 20),
    PointerButton(3, False, 10, 20),
    PointerWheel(0, -3, 5, 5),
    KeyInput(0xFF0D, True),
    KeyInput(0x00E9, False, "é"),
    KeyInput(0, True, "€"),
    ClipboardText("line one\nline two\ttab ✓"),
    ClipboardText(""),
    InputRefused("Bob's focus is on another window; keys are not sent"),
]


def raw(**fields: Any) -> bytes:
    return msgpack.packb(fields, use_bin_type=True)


def refused(data: bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        decode_message(data)
    return info.value


@pytest.mark.parametrize("msg", SHARE_MESSAGES, ids=lambda m: type(m).__name__)
def test_every_sharing_message_round_trips(msg: ShareMessage) -> None:
    assert decode_message(encode_message(msg)) == msg


@pytest.mark.parametrize(
    "fields",
    [
        {"t": "consent-request", "activity": "format-disk", "rep": 0, "title": ""},
        {"t": "consent-request", "activity": "view-desktop", "rep": -1, "title": ""},
        {"t": "consent-request", "activity": "view-desktop", "rep": 0},
        {"t": "consent-grant", "activity": "view-app", "rep": 0, "detail": "x" * 201},
        {"t": "consent-grant", "activity": "view-app", "rep": 0, "detail": "\x1b[2Jfake"},
        {"t": "consent-revoke", "activity": "view-app", "rep": 0, "extra": 1},
        {"t": "status", "activity": 3, "rep": 0, "detail": ""},
        {"t": "screen", "data": "text, not bytes"},
        {"t": "screen", "data": b""},
        {"t": "credit", "frames": MAX_CREDIT + 1, "keyframe": False},
        {"t": "credit", "frames": -1, "keyframe": False},
        {"t": "credit", "frames": 1, "keyframe": 1},
        {"t": "monitors", "monitors": []},
        {"t": "monitors", "monitors": [[0, 0, 0, 800]]},
        {"t": "monitors", "monitors": [[0, 0, 1280]]},
        {"t": "monitors", "monitors": [[0, 0, 1280, 800]] * 17},
        {"t": "view-select", "monitor": 17, "lossy": False},
        {"t": "view-select", "monitor": 1},
        {"t": "pointer", "x": 8192, "y": 0},
        {"t": "pointer", "x": 1.5, "y": 0},
        {"t": "pointer", "x": True, "y": 0},
        {"t": "button", "button": 0, "down": True, "x": 0, "y": 0},
        {"t": "button", "button": 10, "down": True, "x": 0, "y": 0},
        {"t": "wheel", "dx": 0, "dy": 101, "x": 0, "y": 0},
        {"t": "key", "keysym": 0x20000000, "down": True, "text": ""},
        {"t": "key", "keysym": 0, "down": True, "text": "\x03"},
        {"t": "key", "keysym": 0, "down": True, "text": "123456789"},
        {"t": "clipboard", "text": "a\rb"},
        {"t": "clipboard", "text": b"bytes"},
        {"t": "input-refused", "reason": "line one\n* Sharing stopped"},
        {"t": "input-refused", "reason": "x" * 201},
    ],
    ids=lambda f: f["t"],
)
def test_off_schema_sharing_messages_are_refused(fields: dict[str, Any]) -> None:
    assert refused(raw(**fields)).reason in {"malformed", "limit"}


def test_clipboard_text_beyond_the_limit_is_refused() -> None:
    error = refused(raw(t="clipboard", text="x" * (MAX_CLIPBOARD_CHARS + 1)))
    assert error.reason == "limit"
