"""What screen sharing tells its face (CLI or GUI), beside the session's own events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codec import Activity
    from peer._screen_share import ScreenView

__all__ = [
    "ConsentAsked",
    "ShareEvent",
    "ShareNotice",
    "ShareRejected",
    "ViewClosed",
    "ViewOpened",
]


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
