"""The sharing commands of the command line, and the lines sharing prints.

Rep: ``/view [--monitor N|all]``, ``/control``, ``/view-app [TITLE]``,
``/control-app [TITLE]``, ``/show``, ``/stop``, ``/status``,
``/snapshot FILE.png``, ``/quality auto|exact``. Customer: ``/stop``,
``/status``, and the answer to a question (the next line typed after it).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from codec import DEFAULT_POLICY, Activity, Role
from peer._errors import NotAllowedError, PeerError
from peer._share_backends import x11_backends
from peer._share_customer import CustomerSharing
from peer._share_events import ConsentAsked, ShareNotice, ShareRejected, ViewClosed, ViewOpened
from peer._share_rep import RepSharing

if TYPE_CHECKING:
    from collections.abc import Callable

    from codec import Member, Policy
    from peer._session import Session
    from peer._share_events import ShareEvent

__all__ = ["SHARE_HELP", "Sharing", "open_sharing", "share_command", "share_lines"]

Sharing = RepSharing | CustomerSharing

SHARE_HELP = {
    Role.REP: """\
  /view [--monitor N|all]  ask to view the customer's desktop (or pick a monitor)
  /control        ask to control it (mouse, keyboard, clipboard)
  /view-app [TITLE]    ask to view one application (the customer picks if no TITLE)
  /control-app [TITLE] ask to control one application
  /show           ask to show the customer your own desktop
  /stop           end what is shared now
  /status         what is shared now
  /snapshot FILE.png   save the customer's screen as you see it
  /quality auto|exact  allow lossy video areas (text stays exact), or not""",
    Role.CUSTOMER: """\
  /status         what you share now, and with whom
  /stop           stop all sharing and control at once""",
}

_ASK = {
    "/view": Activity.VIEW_DESKTOP,
    "/control": Activity.CONTROL_DESKTOP,
    "/view-app": Activity.VIEW_APP,
    "/control-app": Activity.CONTROL_APP,
    "/show": Activity.SHOW_REP_DESKTOP,
}

#: Seconds a question waits for the customer before it counts as a no.
ANSWER_TIMEOUT = float(os.environ.get("HELPLINE_ANSWER_TIMEOUT", "120"))


def open_sharing(session: Session, policy: Policy = DEFAULT_POLICY) -> Sharing:
    """The sharing side for *session*; *policy* says which activities the site allows."""
    if session.role is Role.CUSTOMER:
        return CustomerSharing(
            session, x11_backends(), answer_timeout=ANSWER_TIMEOUT, policy=policy
        )
    return RepSharing(session, x11_backends(), policy=policy)


def _primary(session: Session) -> Member:
    primary = session.primary
    if primary is None:
        raise NotAllowedError("no customer has joined yet")
    return primary


async def share_command(
    sharing: Sharing, session: Session, word: str, rest: str, say: Callable[[str], None]
) -> bool:
    """Act on a sharing command; False when *word* is not one."""
    if word == "/status":
        say(sharing.status())
        return True
    if word == "/stop":
        await sharing.stop()
        return True
    if isinstance(sharing, CustomerSharing):
        return False
    if word in _ASK:
        await _ask(sharing, session, word, rest.strip())
    elif word == "/snapshot":
        if not rest.strip():
            raise PeerError("name the file: /snapshot FILE.png")
        path = rest.strip()
        width, height = sharing.snapshot(path)
        say(f"Saved {width}x{height} to {path}")
    elif word == "/quality":
        if rest.strip() not in ("auto", "exact"):
            raise PeerError("/quality auto (lossy video areas) or /quality exact")
        await sharing.select(lossy=rest.strip() == "auto")
        say(f"Quality: {rest.strip()}")
    else:
        return False
    return True


async def _ask(sharing: RepSharing, session: Session, word: str, rest: str) -> None:
    if not session.controlling:
        controller = session.controller
        who = f" ({controller.name})" if controller is not None else ""
        raise NotAllowedError(f"only the controlling rep{who} can start an activity")
    activity = _ASK[word]
    if word == "/view" and rest:
        option, _, value = rest.partition(" ")
        value = value.strip()
        if option != "--monitor" or not (value == "all" or value.isdigit()):
            raise PeerError("/view --monitor N picks a monitor, /view --monitor all shows them all")
        monitor = 0 if value == "all" else int(value)
        if sharing.view is not None:
            await sharing.select(monitor)
            return
        sharing.want_monitor(monitor)
    title = rest if activity in (Activity.VIEW_APP, Activity.CONTROL_APP) else ""
    await sharing.ask(_primary(session), activity, title)


def share_lines(event: ShareEvent) -> list[str]:
    """What the terminal prints for a sharing event."""
    match event:
        case ConsentAsked(prompt, choices):
            return [*choices, prompt]
        case ShareNotice(text):
            return [text]
        case ShareRejected(sender, reason):
            return [f"! Dropped a message from {sender}: {reason}"]
        case ViewOpened(_, banner, _):
            return [f"* Viewing: {banner}"]
        case ViewClosed():
            return ["* Viewing ended"]
