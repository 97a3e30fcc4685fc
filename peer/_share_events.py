"""What screen sharing tells its face (CLI or GUI), beside the session's own events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from codec import Activity, ConsentDeny, DenyCause

if TYPE_CHECKING:
    from peer._screen_share import ScreenView

__all__ = [
    "ConsentAsked",
    "ShareEvent",
    "ShareNotice",
    "ShareRejected",
    "ViewClosed",
    "ViewOpened",
    "denial",
    "for_rep",
]

#: How the session history records each kind of no (``helpline history`` says it in words).
DENIED_HOW = {
    DenyCause.DECLINED: "declined",
    DenyCause.NO_ANSWER: "did not answer",
    DenyCause.POLICY: "refused by policy",
    DenyCause.UNABLE: "could not share",
    DenyCause.NOT_ASKED: "not asked",
    DenyCause.FAILED: "could not start",
}


def for_rep(activity: Activity) -> str:
    """The activity in the rep's words: "view their desktop" (the customer reads "your")."""
    if activity is Activity.SHOW_REP_DESKTOP:
        return "show them your desktop"
    return activity.description.replace("your", "their")


def denial(customer: str, deny: ConsentDeny) -> str:
    """The rep's line for a request that came to nothing, saying who or what decided.

    Only a no the customer typed is theirs: their computer's own policy, or
    a question already open, answers without asking them.
    """
    what, reason = for_rep(deny.activity), deny.reason.rstrip(".")
    match deny.cause:
        case DenyCause.DECLINED:
            return f"{customer} declined: you may not {what}."
        case DenyCause.NO_ANSWER:
            return f"{customer} did not answer in time: you may not {what}."
        case DenyCause.POLICY:
            return (
                f"{customer}'s computer's policy does not allow you to {what}; "
                f"{customer} was not asked."
            )
        case DenyCause.UNABLE:
            return f"{customer}'s computer has no screen to share ({reason})."
        case DenyCause.NOT_ASKED:
            return f"{customer} was not asked to let you {what}: {reason}."
        case DenyCause.FAILED:
            return f"{customer} allowed you to {what}, but it could not start: {reason}."


@dataclass(frozen=True, slots=True)
class ConsentAsked:
    """Customer only: a question to put to the person; their next typed line answers it."""

    prompt: str
    #: Lines to show before the prompt (the windows to pick from).
    choices: tuple[str, ...] = ()
    #: The same question in parts, for a face that asks with a dialog: who asks,
    #: for what, and the window titles to pick from (numbered from 1 in the answer).
    rep: str = ""
    activity: Activity | None = None
    windows: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ShareNotice:
    """A line for the person: what is shared changed, or a request was answered."""

    text: str


@dataclass(frozen=True, slots=True)
class ShareRejected:
    """Something a member sent was dropped because no grant covers it."""

    sender: str
    reason: str


@dataclass(frozen=True, slots=True)
class ViewOpened:
    """A remote screen is arriving: a viewer window may open on *view*."""

    view: ScreenView
    #: What the banner says: whose screen, and whether control is on.
    banner: str
    control: bool


@dataclass(frozen=True, slots=True)
class ViewClosed:
    view: ScreenView


ShareEvent = ConsentAsked | ShareNotice | ShareRejected | ViewOpened | ViewClosed
