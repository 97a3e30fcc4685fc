"""Screen sharing across a relay restart starts again from a full frame (SPEC X3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import trio

from codec import Activity
from peer._events import Reconnected
from peer._share_events import ViewOpened
from tests.peer.restartable import open_restartable_relay
from tests.sharing.pair import WAIT, display_pixels, next_share, open_pair, settled_view
from tests.sharing.test_sharing import start
from tests.x11.probe import open_probe

if TYPE_CHECKING:
    from peer._events import SessionEvent


async def next_reconnected(events: trio.MemoryReceiveChannel[SessionEvent]) -> None:
    with trio.fail_after(WAIT * 2):
        async for event in events:
            if isinstance(event, Reconnected):
                return


async def test_a_view_resumes_after_a_relay_restart_with_a_fresh_full_frame(xdisplay: str) -> None:
    async with (
        open_probe(xdisplay) as probe,
        open_restartable_relay() as relay,
        open_pair(relay.url, xdisplay) as pair,
    ):
        await start(pair, Activity.VIEW_DESKTOP)
        await next_share(pair.rep_sharing, ViewOpened)
        await settled_view(pair, display_pixels(xdisplay))
        view = pair.rep_sharing.view
        assert view is not None
        keyframes_before = view.decoder._epoch  # one epoch per keyframe
        await relay.kill()
        await relay.start()
        await next_reconnected(pair.rep_events)
        await pair.rep_sharing.restart_view()  # as the CLI does on Reconnected
        with trio.fail_after(WAIT):
            while view.decoder._epoch == keyframes_before:
                await view.frame_done.wait()
        await probe.command("pattern 2")
        changed = display_pixels(xdisplay)
        assert np.array_equal(await settled_view(pair, changed), changed)
