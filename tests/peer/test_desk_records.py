"""What the rep's desk puts in the history record from the session's events (SPEC I4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer._desk import RepDesk
from peer._events import ChatReceived, MemberJoined
from peer._history import HistoryStore
from peer._history_view import render_record
from peer._open import open_hosted_session, open_joined_session
from tests.peer.helpers import invite, next_event

if TYPE_CHECKING:
    from pathlib import Path


async def test_a_private_message_is_recorded_with_every_recipient(
    relay_url: str, tmp_path: Path
) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    async with open_hosted_session(relay_url, "Alice") as alice:
        number = alice.code.number
        recorder = store.begin(
            number=number, session_type="general", tracking=None, rep="Alice", relay=relay_url
        )
        said: list[str] = []
        desk = RepDesk(alice, recorder, said.append)
        async with open_joined_session(invite(alice), "Bob") as bob:
            async with open_joined_session(invite(alice), "Carol"):
                await next_event(bob, MemberJoined)  # Carol, whom Bob now knows
                await bob.send_chat("for the two of you", to=["carol", "alice"])
                await desk.observe(await next_event(alice, ChatReceived))
    shown = "\n".join(render_record(store.find(number)[0]))
    assert "Bob to Carol, Alice (private): for the two of you" in shown
