"""``helpline history`` and ``helpline history show NUMBER``: the records as text."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from codec import Activity
from peer._errors import PeerError
from peer._history import HistoryStore, history_path
from peer._share_events import for_rep

if TYPE_CHECKING:
    from peer._history import ConsentEntry, SessionRecord

__all__ = ["HistoryNotFoundError", "render_list", "render_record", "run_history"]


#: How a consent line opens, by how the consent ended ({} is the customer).
_HOW = {
    "allowed": "{} allowed",
    "revoked": "{} stopped",
    "refused": "{} refused",
    "declined": "{} declined",
    "did not answer": "{} did not answer",
    "refused by policy": "{}'s computer's policy refused",
    "could not share": "{}'s computer could not share",
    "not asked": "{} was not asked",
    "could not start": "{} allowed, but it could not start",
    # Records from before schema 2 told only whether consent was granted.
    "refused or revoked": "{} refused or revoked",
}


class HistoryNotFoundError(PeerError):
    """No recorded session has that number; ``helpline history`` lists them."""


def run_history(number: str | None, *, limit: int = 50) -> list[str]:
    """The lines ``helpline history [show NUMBER]`` prints."""
    path = history_path()
    if not path.exists():
        return [f"No sessions recorded yet (history file: {path})."]
    store = HistoryStore(path)
    try:
        if number is None:
            return render_list(store.sessions(limit), path=str(path))
        found = store.find(number)
    finally:
        store.close()
    if not found:
        raise HistoryNotFoundError(
            f"no recorded session has the number {number}; `helpline history` lists them"
        )
    lines = render_record(found[0])
    if len(found) > 1:
        lines.append("")
        lines.append(f"Earlier sessions numbered {found[0].number} (show one with #ID):")
        lines += [f"  #{r.id}  {_time(r.started_at)}" for r in found[1:]]
    return lines


def render_list(records: list[SessionRecord], *, path: str) -> list[str]:
    if not records:
        return [f"No sessions recorded yet (history file: {path})."]
    rows = [("DATE", "NUMBER", "TYPE", "TRACKING", "CUSTOMERS")]
    for r in records:
        customers = ", ".join(r.customers) or "-"
        if r.unclean:
            customers += "  (not ended cleanly)"
        elif r.ended_at is None:
            customers += "  (in progress)"
        rows.append((_time(r.started_at), r.number, r.type, r.tracking or "-", customers))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4]
        for row in rows
    ]


def render_record(r: SessionRecord) -> list[str]:
    lines = [
        f"Session {r.number} (#{r.id})",
        f"  Type: {r.type}",
        f"  Tracking code: {r.tracking or '-'}",
        f"  Rep: {r.rep}",
        f"  Relay: {r.relay}",
        f"  Started: {_time(r.started_at, seconds=True)}",
        f"  Ended: {_ending(r)}",
        "Participants:",
    ]
    for p in r.participants:
        until = _time(p.left_at, seconds=True) if p.left_at is not None else "still in"
        how = f" ({p.left_how})" if p.left_how else ""
        lines.append(f"  {p.name} ({p.role}) {_time(p.joined_at, seconds=True)} to {until}{how}")
    lines.append("Chat:" if r.chat else "Chat: none")
    for c in r.chat:
        to = f" to {', '.join(c.recipients)} (private)" if c.recipients else ""
        text = c.text.replace("\n", " / ")
        lines.append(f"  {_clock(c.at)} {c.sender}{to}: {text}")
    lines.append("Consent:" if r.consent else "Consent: none")
    lines += [f"  {_clock(g.at)} {_consent(g)}" for g in r.consent]
    if r.control:
        lines.append("Control:")
        lines += [
            f"  {_clock(c.at)} {c.former} handed control to {c.controller}" for c in r.control
        ]
    lines.append("Transfers:" if r.transfers else "Transfers: none")
    lines += [
        f"  {_clock(t.at)} {t.direction} {t.name}, {t.size} bytes, {t.digest} ({t.outcome})"
        for t in r.transfers
    ]
    lines.append("Notes:" if r.notes else "Notes: none")
    lines += [f"  - {n.text}" for n in r.notes]
    return lines


def _consent(g: ConsentEntry) -> str:
    """``Bob allowed: view their desktop``, in the words the rep read during the session."""
    how = g.how or ("allowed" if g.granted else "refused or revoked")
    if how == "revoked" and g.activity == "file access":
        opening = f"{g.customer} withdrew"  # the word the session used
    else:
        opening = _HOW.get(how, "{} " + how).replace("{}", g.customer, 1)
    try:
        what = for_rep(Activity(g.activity))
    except ValueError:  # file access, system information: already words
        what = g.activity
    return f"{opening}: {what}"


def _ending(r: SessionRecord) -> str:
    if r.ended_at is not None:
        return f"{_time(r.ended_at, seconds=True)} ({r.ended_how})"
    if r.unclean:
        return "not ended cleanly (the rep's program stopped without ending the session)"
    return "in progress"


def _time(at: float, *, seconds: bool = False) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%H:%M:%S")
