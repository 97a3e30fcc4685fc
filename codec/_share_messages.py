"""Messages of screen sharing and remote control: consent, screen, credit, input, clipboard.

They travel inside the channel like chat and are decoded by
:func:`codec.decode_message` with the same strictness: exact fields, typed
values, hard bounds on every number and string. A coordinate is a pixel of
the framebuffer the rep is viewing (the viewer undoes its own scaling), so
the customer's peer can check it against the screen it actually sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from codec._consent import Activity
from codec._errors import LocalProtocolError, ProtocolError
from codec._wire import pack

if TYPE_CHECKING:
    from collections.abc import Callable

    from codec._messages import _Fields

__all__ = [
    "MAX_CLIPBOARD_CHARS",
    "MAX_CREDIT",
    "MAX_MONITORS",
    "ActivityStatus",
    "ClipboardText",
    "ConsentDeny",
    "ConsentGrant",
    "ConsentRequest",
    "ConsentRevoke",
    "CreditGrant",
    "DenyCause",
    "InputRefused",
    "KeyInput",
    "Monitor",
    "MonitorList",
    "PointerButton",
    "PointerMotion",
    "PointerWheel",
    "ScreenUpdate",
    "ShareMessage",
    "ViewSelect",
]

#: Frames a viewer may have in flight; more would only queue stale pictures.
MAX_CREDIT = 8
#: Monitors a customer's peer may list.
MAX_MONITORS = 16
#: Characters of clipboard text one message carries.
MAX_CLIPBOARD_CHARS = 1 << 20
#: Characters of a window title, a denial's reason or a status detail.
MAX_DETAIL_CHARS = 200
#: Characters one key event may type (one grapheme, a dead key's composition).
MAX_KEY_TEXT_CHARS = 8
#: X keysyms are 29-bit numbers.
MAX_KEYSYM = 0x1FFFFFFF
#: Mouse buttons X knows (1-3 buttons, 4-7 wheel, 8-9 back/forward).
MAX_BUTTON = 9
#: Wheel steps in one event.
MAX_WHEEL_STEPS = 100


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """Rep → customer: please allow *activity* (for an app, *title* names it; empty: you pick)."""

    activity: Activity
    rep: int
    title: str = ""


@dataclass(frozen=True, slots=True)
class ConsentGrant:
    """Customer → rep: allowed; *detail* names what is shared (the window's title)."""

    activity: Activity
    rep: int
    detail: str = ""


class DenyCause(Enum):
    """Why a request came to nothing, so the rep's program can say who decided."""

    #: The customer answered no.
    DECLINED = "declined"
    #: The customer did not answer before the question expired.
    NO_ANSWER = "no-answer"
    #: The customer's own site policy turns the activity off; nobody was asked.
    POLICY = "policy"
    #: The customer's computer cannot do it (no screen to capture); nobody was asked.
    UNABLE = "unable"
    #: Not asked now: another question is open, a no is too fresh, no such window...
    NOT_ASKED = "not-asked"
    #: The customer allowed it, but it could not start (the capture failed).
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ConsentDeny:
    """Customer → rep: the activity is not on; *cause* says why, *reason* in a few words."""

    activity: Activity
    rep: int
    reason: str = ""
    cause: DenyCause = DenyCause.DECLINED


@dataclass(frozen=True, slots=True)
class ConsentRevoke:
    """Either side: the activity is over (the customer revoked, or the rep stopped)."""

    activity: Activity
    rep: int


@dataclass(frozen=True, slots=True)
class ActivityStatus:
    """Customer → rep: what is on now for this rep (``None``: nothing)."""

    activity: Activity | None
    rep: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ScreenUpdate:
    """Sharer → viewer: one message of :class:`codec.ScreenEncoder`."""

    data: bytes


@dataclass(frozen=True, slots=True)
class CreditGrant:
    """Viewer → sharer: *frames* more may be sent; *keyframe* asks for a fresh start."""

    frames: int
    keyframe: bool = False


@dataclass(frozen=True, slots=True)
class Monitor:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class MonitorList:
    """Customer → rep, once viewing starts: the monitors, numbered from 1 in this order."""

    monitors: tuple[Monitor, ...]


@dataclass(frozen=True, slots=True)
class ViewSelect:
    """Rep → customer: view monitor *monitor* (1-based, 0 for all); *lossy* for video areas."""

    monitor: int
    lossy: bool = False


@dataclass(frozen=True, slots=True)
class PointerMotion:
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class PointerButton:
    button: int
    down: bool
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class PointerWheel:
    """Wheel steps: positive *dy* scrolls down, positive *dx* right."""

    dx: int
    dy: int
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class KeyInput:
    """A key going down or up; *text* (when not empty) is the character it typed.

    The customer's peer types *text* where it has it, so a rep with another
    keyboard layout gets the character they meant, not their key's position.
    """

    keysym: int
    down: bool
    text: str = ""


@dataclass(frozen=True, slots=True)
class ClipboardText:
    text: str


@dataclass(frozen=True, slots=True)
class InputRefused:
    """The customer's peer did not inject some of the rep's input, and says why (once)."""

    reason: str


ShareMessage = (
    ConsentRequest
    | ConsentGrant
    | ConsentDeny
    | ConsentRevoke
    | ActivityStatus
    | ScreenUpdate
    | CreditGrant
    | MonitorList
    | ViewSelect
    | PointerMotion
    | PointerButton
    | PointerWheel
    | KeyInput
    | ClipboardText
    | InputRefused
)


def encode_share_message(msg: object) -> bytes:
    match msg:
        case ConsentRequest(activity, rep, title):
            return _consent("consent-request", activity, rep, title=title)
        case ConsentGrant(activity, rep, detail):
            return _consent("consent-grant", activity, rep, detail=detail)
        case ConsentDeny(activity, rep, reason, cause):
            return _consent("consent-deny", activity, rep, reason=reason, cause=cause.value)
        case ConsentRevoke(activity, rep):
            return _consent("consent-revoke", activity, rep)
        case ActivityStatus(activity, rep, detail):
            value = activity.value if activity else None
            return pack({"t": "status", "activity": value, "rep": rep, "detail": detail})
        case ScreenUpdate(data):
            return pack({"t": "screen", "data": data})
        case CreditGrant(frames, keyframe):
            return pack({"t": "credit", "frames": frames, "keyframe": keyframe})
        case MonitorList(monitors):
            boxes = [[m.x, m.y, m.width, m.height] for m in monitors]
            return pack({"t": "monitors", "monitors": boxes})
        case ViewSelect(monitor, lossy):
            return pack({"t": "view-select", "monitor": monitor, "lossy": lossy})
        case PointerMotion(x, y):
            return pack({"t": "pointer", "x": x, "y": y})
        case PointerButton(button, down, x, y):
            return pack({"t": "button", "button": button, "down": down, "x": x, "y": y})
        case PointerWheel(dx, dy, x, y):
            return pack({"t": "wheel", "dx": dx, "dy": dy, "x": x, "y": y})
        case KeyInput(keysym, down, text):
            return pack({"t": "key", "keysym": keysym, "down": down, "text": text})
        case ClipboardText(text):
            return pack({"t": "clipboard", "text": text})
        case InputRefused(reason):
            return pack({"t": "input-refused", "reason": reason})
    raise LocalProtocolError(f"not a message: {msg!r}")


def _consent(tag: str, activity: Activity, rep: int, **text: str) -> bytes:
    return pack({"t": tag, "activity": activity.value, "rep": rep, **text})


# Decoding ------------------------------------------------------------------------


def _int(f: _Fields, name: str, low: int, high: int) -> int:
    value = f.obj[name]
    if type(value) is not int:
        raise ProtocolError(f"{f.type}: {name} must be a whole number", reason="malformed")
    if not low <= value <= high:
        raise ProtocolError(f"{f.type}: {name} outside {low}..{high}", reason="limit")
    return value


def _bool(f: _Fields, name: str) -> bool:
    value = f.obj[name]
    if not isinstance(value, bool):
        raise ProtocolError(f"{f.type}: {name} must be true or false", reason="malformed")
    return value


def _activity(f: _Fields, value: Any) -> Activity:
    try:
        return Activity(value)
    except ValueError:
        raise ProtocolError(f"{f.type}: unknown activity", reason="malformed") from None


def _detail(f: _Fields, name: str) -> str:
    return f.text(f.obj[name], name, MAX_DETAIL_CHARS, multiline=False)


def _coord(f: _Fields, name: str) -> int:
    return _int(f, name, 0, f.limits.max_screen_side - 1)


def _consent_request(f: _Fields) -> ConsentRequest:
    f.expect("activity", "rep", "title")
    return ConsentRequest(_activity(f, f.obj["activity"]), f.id(f.obj["rep"]), _detail(f, "title"))


def _consent_grant(f: _Fields) -> ConsentGrant:
    f.expect("activity", "rep", "detail")
    return ConsentGrant(_activity(f, f.obj["activity"]), f.id(f.obj["rep"]), _detail(f, "detail"))


def _consent_deny(f: _Fields) -> ConsentDeny:
    f.expect("activity", "rep", "reason", "cause")
    try:
        cause = DenyCause(f.obj["cause"])
    except ValueError:
        raise ProtocolError(f"{f.type}: unknown cause", reason="malformed") from None
    return ConsentDeny(
        _activity(f, f.obj["activity"]), f.id(f.obj["rep"]), _detail(f, "reason"), cause
    )


def _consent_revoke(f: _Fields) -> ConsentRevoke:
    f.expect("activity", "rep")
    return ConsentRevoke(_activity(f, f.obj["activity"]), f.id(f.obj["rep"]))


def _status(f: _Fields) -> ActivityStatus:
    f.expect("activity", "rep", "detail")
    raw = f.obj["activity"]
    activity = None if raw is None else _activity(f, raw)
    return ActivityStatus(activity, f.id(f.obj["rep"]), _detail(f, "detail"))


def _screen(f: _Fields) -> ScreenUpdate:
    f.expect("data")
    data = f.obj["data"]
    if not isinstance(data, bytes) or not data:
        raise ProtocolError("screen: data must be bytes", reason="malformed")
    return ScreenUpdate(data)


def _credit(f: _Fields) -> CreditGrant:
    f.expect("frames", "keyframe")
    return CreditGrant(_int(f, "frames", 0, MAX_CREDIT), _bool(f, "keyframe"))


def _monitors(f: _Fields) -> MonitorList:
    f.expect("monitors")
    raw = f.obj["monitors"]
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_MONITORS:
        raise ProtocolError(f"monitors: 1 to {MAX_MONITORS} monitors", reason="malformed")
    side = f.limits.max_screen_side
    monitors = []
    for box in raw:
        if (
            not isinstance(box, list)
            or len(box) != 4
            or any(type(v) is not int for v in box)
            or not (0 <= box[0] < side and 0 <= box[1] < side)
            or not (0 < box[2] <= side and 0 < box[3] <= side)
        ):
            raise ProtocolError("monitors: a monitor is [x, y, width, height]", reason="malformed")
        monitors.append(Monitor(*box))
    return MonitorList(tuple(monitors))


def _view_select(f: _Fields) -> ViewSelect:
    f.expect("monitor", "lossy")
    return ViewSelect(_int(f, "monitor", 0, MAX_MONITORS), _bool(f, "lossy"))


def _pointer(f: _Fields) -> PointerMotion:
    f.expect("x", "y")
    return PointerMotion(_coord(f, "x"), _coord(f, "y"))


def _button(f: _Fields) -> PointerButton:
    f.expect("button", "down", "x", "y")
    return PointerButton(
        _int(f, "button", 1, MAX_BUTTON), _bool(f, "down"), _coord(f, "x"), _coord(f, "y")
    )


def _wheel(f: _Fields) -> PointerWheel:
    f.expect("dx", "dy", "x", "y")
    steps = MAX_WHEEL_STEPS
    return PointerWheel(
        _int(f, "dx", -steps, steps), _int(f, "dy", -steps, steps), _coord(f, "x"), _coord(f, "y")
    )


def _key(f: _Fields) -> KeyInput:
    f.expect("keysym", "down", "text")
    text = f.text(f.obj["text"], "text", MAX_KEY_TEXT_CHARS, multiline=False)
    return KeyInput(_int(f, "keysym", 0, MAX_KEYSYM), _bool(f, "down"), text)


def _clipboard(f: _Fields) -> ClipboardText:
    f.expect("text")
    return ClipboardText(f.text(f.obj["text"], "text", MAX_CLIPBOARD_CHARS, multiline=True))


def _input_refused(f: _Fields) -> InputRefused:
    f.expect("reason")
    return InputRefused(_detail(f, "reason"))


SHARE_DECODERS: dict[str, Callable[[_Fields], ShareMessage]] = {
    "consent-request": _consent_request,
    "consent-grant": _consent_grant,
    "consent-deny": _consent_deny,
    "consent-revoke": _consent_revoke,
    "status": _status,
    "screen": _screen,
    "credit": _credit,
    "monitors": _monitors,
    "view-select": _view_select,
    "pointer": _pointer,
    "button": _button,
    "wheel": _wheel,
    "key": _key,
    "clipboard": _clipboard,
    "input-refused": _input_refused,
}
