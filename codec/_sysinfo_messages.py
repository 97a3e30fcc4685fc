"""System information messages (SPEC I1): the rep asks, the customer answers.

Three messages, each travelling one way:

- :class:`SysinfoRequest` rep → customer: "may I see your system details?"
- :class:`SysinfoReport` customer → rep: the details the customer allowed,
  as sections of labelled one-line values (exactly what the customer saw);
- :class:`SysinfoRefused` customer → rep: no, with a reason to show.

A report is bounded (:data:`MAX_SECTIONS`, :data:`MAX_ITEMS`, characters per
label and value) and every string follows :mod:`codec._validate`'s rule, so
it can be shown on the rep's screen without repainting it. The customer's
side makes its values fit with :func:`neutralise` before it asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codec._errors import LimitExceededError, ProtocolError
from codec._validate import check_text, text_problem

if TYPE_CHECKING:
    from collections.abc import Callable

    from codec._messages import _Fields

__all__ = [
    "MAX_ITEMS",
    "MAX_LABEL_CHARS",
    "MAX_SECTIONS",
    "MAX_VALUE_CHARS",
    "SYSINFO_DECODERS",
    "SysinfoItem",
    "SysinfoMessage",
    "SysinfoRefused",
    "SysinfoReport",
    "SysinfoRequest",
    "SysinfoSection",
    "encode_sysinfo_message",
    "neutralise",
    "render_report",
]

MAX_SECTIONS = 16
#: Labelled values in one report, all sections together.
MAX_ITEMS = 256
MAX_LABEL_CHARS = 64
MAX_VALUE_CHARS = 400
_MAX_REASON_CHARS = 300
_MAX_REQUEST_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class SysinfoItem:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class SysinfoSection:
    title: str
    items: tuple[SysinfoItem, ...]


@dataclass(frozen=True, slots=True)
class SysinfoRequest:
    request: int


@dataclass(frozen=True, slots=True)
class SysinfoReport:
    request: int
    sections: tuple[SysinfoSection, ...]


@dataclass(frozen=True, slots=True)
class SysinfoRefused:
    request: int
    reason: str


SysinfoMessage = SysinfoRequest | SysinfoReport | SysinfoRefused


def neutralise(text: str, max_chars: int) -> str:
    """*text* made safe to show and to send: refused characters as visible escapes, cut short.

    ``"a\\x1b[2J"`` becomes ``"a\\\\x1b[2J"``: the reader sees what was there,
    and no terminal acts on it. Longer text ends in an ellipsis.
    """
    out = []
    for ch in text:
        if text_problem(ch, max_chars=1, multiline=False) is None:
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    cleaned = "".join(out)
    if len(cleaned) > max_chars:
        cleaned = cleaned[: max_chars - 1] + "…"
    return cleaned


def render_report(sections: tuple[SysinfoSection, ...]) -> list[str]:
    """The report as lines of text: what the customer is shown and what the rep sees."""
    lines: list[str] = []
    for section in sections:
        lines.append(f"{neutralise(section.title, MAX_LABEL_CHARS)}:")
        lines += [
            f"  {neutralise(i.label, MAX_LABEL_CHARS)}: {neutralise(i.value, MAX_VALUE_CHARS)}"
            for i in section.items
        ]
    return lines


def encode_sysinfo_message(msg: SysinfoMessage) -> dict[str, Any]:
    """The msgpack map for *msg* (the caller packs it)."""
    match msg:
        case SysinfoRequest(request):
            return {"t": "sysinfo-request", "request": request}
        case SysinfoReport(request, sections):
            return {
                "t": "sysinfo-report",
                "request": request,
                "sections": [[s.title, [[i.label, i.value] for i in s.items]] for s in sections],
            }
        case SysinfoRefused(request, reason):
            return {"t": "sysinfo-refused", "request": request, "reason": reason}


def _request_id(f: _Fields) -> int:
    value = f.obj["request"]
    if type(value) is not int or not 0 <= value <= _MAX_REQUEST_ID:
        raise ProtocolError(f"{f.type}: bad request number", reason="malformed")
    return value


def _request(f: _Fields) -> SysinfoRequest:
    f.expect("request")
    return SysinfoRequest(_request_id(f))


def _line(value: Any, what: str, max_chars: int) -> str:
    return check_text(value, what, max_chars=max_chars, multiline=False)


def _report(f: _Fields) -> SysinfoReport:
    f.expect("request", "sections")
    raw = f.obj["sections"]
    if not isinstance(raw, list):
        raise ProtocolError("sysinfo-report: sections must be a list", reason="malformed")
    if len(raw) > MAX_SECTIONS:
        raise LimitExceededError(f"sysinfo-report: more than {MAX_SECTIONS} sections")
    sections, count = [], 0
    for entry in raw:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], list)):
            raise ProtocolError("sysinfo-report: a section is [title, items]", reason="malformed")
        count += len(entry[1])
        if count > MAX_ITEMS:
            raise LimitExceededError(f"sysinfo-report: more than {MAX_ITEMS} items")
        items = []
        for item in entry[1]:
            if not (isinstance(item, list) and len(item) == 2):
                raise ProtocolError("sysinfo-report: an item is [label, value]", reason="malformed")
            items.append(
                SysinfoItem(
                    _line(item[0], "sysinfo-report label", MAX_LABEL_CHARS),
                    _line(item[1], "sysinfo-report value", MAX_VALUE_CHARS),
                )
            )
        title = _line(entry[0], "sysinfo-report section title", MAX_LABEL_CHARS)
        sections.append(SysinfoSection(title, tuple(items)))
    return SysinfoReport(_request_id(f), tuple(sections))


def _refused(f: _Fields) -> SysinfoRefused:
    f.expect("request", "reason")
    reason = _line(f.obj["reason"], "sysinfo-refused reason", _MAX_REASON_CHARS)
    return SysinfoRefused(_request_id(f), reason)


SYSINFO_DECODERS: dict[str, Callable[[_Fields], SysinfoMessage]] = {
    "sysinfo-request": _request,
    "sysinfo-report": _report,
    "sysinfo-refused": _refused,
}
