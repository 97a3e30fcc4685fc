"""What both faces do alike with the conversation: session events into chat lines, and
one's own lines sent and shown; drops and returns into the connection bar.

The CLI prints what others say; a window also shows what its person sent,
marked as the rep's roster would mark it, with the recipients of a private
line. Events that are neither are left to the face.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer._cli_face import control_words as cli_control_words
from peer._events import (
    ChatReceived,
    ControlChanged,
    MemberAway,
    MemberBack,
    MemberJoined,
    MemberLeft,
    MessageRejected,
    Reconnected,
    Reconnecting,
    RoomTaken,
    SessionEnded,
)

if TYPE_CHECKING:
    from peer._events import SessionEvent
    from peer._session import Session
    from peer.gui._chat import ChatPanel
    from peer.gui._connection_bar import ConnectionBar

__all__ = [
    "control_words",
    "ended_words",
    "send_and_show",
    "show_connection",
    "show_conversation",
]


def show_conversation(chat: ChatPanel, event: SessionEvent) -> bool:
    """Show *event* in *chat* if it is part of the conversation; False if it is not."""
    match event:
        case ChatReceived(sender, text, private, role):
            mark = role.value if role is not None else "unknown"
            chat.add_line(mark, sender, text, private=private)
        case MemberJoined(name, role):
            chat.add_notice(f"{name} joined ({role.value})")
        case MemberLeft(name, _, removed_by) if removed_by is not None:
            chat.add_notice(f"{removed_by} removed {name} from the session")
        case MemberLeft(name, said_goodbye):
            chat.add_notice(f"{name} left" + ("" if said_goodbye else " (connection lost)"))
        case MessageRejected(sender, reason):
            chat.add_notice(f"Rejected a message from {sender}: {reason}")
        case _:
            return False
    return True


async def send_and_show(session: Session, chat: ChatPanel, text: str, to: list[str]) -> None:
    """Send *text* (privately to *to*, if any) and show it as sent."""
    await session.send_chat(text, to=to or None)
    chat.add_line(session.role.value, session.name, text, private=bool(to), to=to)


def ended_words(event: SessionEnded) -> str:
    """How the session ended for this person, in the words a window shows."""
    if event.by is not None:
        return f"Session ended by {event.by}"
    if event.removed_by is not None:
        return f"{event.removed_by} removed you from the session"
    return f"Session lost: {event.lost}"


def show_connection(bar: ConnectionBar, chat: ChatPanel, event: SessionEvent) -> bool:
    """Show a drop or a return (ours or another member's); False for any other event.

    The transcript keeps a line of each, for the record; the bar says how it stands now.
    """
    match event:
        case Reconnecting(reason):
            bar.reconnecting(reason)
            chat.add_notice(f"Connection lost: {reason}; reconnecting…")
        case Reconnected():
            bar.reconnected()
            chat.add_notice("Reconnected")
        case RoomTaken(text):
            chat.add_notice(f"Warning: {text}")
        case MemberAway(name, _, seconds):
            bar.member_away(name, seconds)
            chat.add_notice(f"{name}'s connection dropped; waiting up to {seconds:g} s")
        case MemberBack(name):
            bar.member_back(name)
            chat.add_notice(f"{name} is back")
        case _:
            return False
    return True


def control_words(session: Session, event: ControlChanged) -> str:
    """What a window says when control of the session moves (SPEC M5): the CLI's words."""
    then = "You may leave; ending the session needs control back."
    return cli_control_words(session, event, then).removeprefix("* ")
