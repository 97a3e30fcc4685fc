"""F3: the moment a rep may view or control an application, file transfers stop (real X).

A rep and a customer with file engines and sharing sides in one session on
a real relay, the customer's display a private Xvfb with a real Tk window.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

from codec import APPLICATION_SHARING_REFUSAL, Activity
from peer._events import MessageReceived
from peer._file_commands import follow_sharing
from peer._file_events import FileNotice, FileQuestion, TransferEnded, TransferProgress
from peer._share_backends import x11_backends
from peer._share_customer import CustomerSharing
from peer._share_events import ConsentAsked, ViewClosed, ViewOpened
from peer._share_rep import RepSharing
from tests.files.helpers import make_file, next_file_event, open_pair, sha256_of
from tests.files.test_advanced import grant_access
from tests.sharing.pair import next_share
from tests.x11.probe import open_probe

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    import pytest

    from peer._file_events import TransferView
    from peer._session import Session
    from tests.files.helpers import Side

STOPPED = f"* File transfers stopped: {APPLICATION_SHARING_REFUSAL}"


async def _pump(session: Session, sharing: RepSharing | CustomerSharing) -> None:
    async for event in session.events:
        if isinstance(event, MessageReceived):
            await sharing.receive(event.sender, event.message)


@asynccontextmanager
async def sharing_sides(
    rep: Side, bob: Side, display: str
) -> AsyncIterator[tuple[RepSharing, CustomerSharing]]:
    """Each side's screen sharing, wired to its file engine as the command line wires it."""
    rep_sharing = RepSharing(rep.session, x11_backends(display))
    bob_sharing = CustomerSharing(bob.session, x11_backends(display), answer_timeout=60.0)
    follow_sharing(rep.files, rep_sharing)
    follow_sharing(bob.files, bob_sharing)
    async with trio.open_nursery() as nursery:
        for session, sharing in ((rep.session, rep_sharing), (bob.session, bob_sharing)):
            nursery.start_soon(sharing.run)
            nursery.start_soon(_pump, session, sharing)
        yield rep_sharing, bob_sharing
        nursery.cancel_scope.cancel()


async def notice(side: Side, text: str) -> None:
    while (await next_file_event(side, FileNotice)).text != text:
        pass


async def test_viewing_an_application_stops_moving_and_queued_transfers_on_both_sides(
    relay_url: str, xdisplay: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("peer._file_engine.PROGRESS_EVERY", 0.0)
    async with (
        open_probe(xdisplay, title="Ledger"),
        open_pair(relay_url, tmp_path, window_bytes=256 * 1024) as (rep, bob),
        sharing_sides(rep, bob, xdisplay) as (rep_sharing, bob_sharing),
    ):
        for name in ("a.bin", "b.bin", "c.bin"):  # two move at once, the third waits its turn
            make_file(tmp_path / "out" / name, 40_000_000)
        await grant_access(rep, bob)
        rep.files.put([tmp_path / "out"])
        for _ in range(2):
            await next_file_event(bob, FileQuestion)
            bob.files.answer(True)
        while (await next_file_event(bob, TransferProgress)).view.done == 0:
            pass
        customer = rep.session.members[bob.session.id]
        await rep_sharing.ask(customer, Activity.VIEW_APP, "Ledger")
        await next_share(bob_sharing, ConsentAsked)
        await bob_sharing.answer("y")
        await next_share(rep_sharing, ViewOpened)
        await notice(bob, STOPPED)
        await notice(rep, STOPPED)
        ended: dict[str, TransferView] = {}
        while len(ended) < 3:
            view = (await next_file_event(rep, TransferEnded)).view
            ended[view.name] = view
        assert {v.state for v in ended.values()} == {"cancelled"}
        assert {v.reason for v in ended.values()} == {APPLICATION_SHARING_REFUSAL}
        assert all(v.done < 40_000_000 for v in ended.values())

        # Once the sharing stops, a file sent again resumes where it stopped.
        await rep_sharing.stop()
        await next_share(rep_sharing, ViewClosed)
        moved = next(v for v in ended.values() if v.done > 0)
        name = moved.name.removeprefix("out/")
        rep.files.put([tmp_path / "out" / name], "out")
        await next_file_event(bob, FileQuestion)
        bob.files.answer(True)
        done = (await next_file_event(bob, TransferEnded)).view
        assert (done.state, done.name) == ("complete", moved.name)
        assert done.resumed_from > 0
        assert sha256_of(bob.folder / moved.name) == sha256_of(tmp_path / moved.name)
