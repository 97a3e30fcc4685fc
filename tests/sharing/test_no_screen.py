"""A customer whose computer has no screen is not asked a question it cannot keep:
their program answers the rep at once, and the history says what happened."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codec import Activity
from peer._share_backends import x11_backends
from peer._share_events import ConsentAsked, ShareNotice
from tests.sharing.pair import next_share, open_pair, pending

if TYPE_CHECKING:
    import pytest


async def test_a_customer_without_a_display_is_not_asked_and_the_rep_is_told_why(
    relay_url: str, xdisplay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    consents: list[tuple[str, str, str]] = []
    async with open_pair(relay_url, xdisplay, customer_backends=x11_backends(None)) as pair:
        pair.rep_sharing.on_consent = lambda *change: consents.append(change)
        await pair.rep_sharing.ask(pair.customer_member(), Activity.VIEW_DESKTOP)
        notice = await next_share(pair.rep_sharing, ShareNotice)
        assert notice.text == "Asked Bob to allow: view their desktop."
        notice = await next_share(pair.rep_sharing, ShareNotice)
        assert notice.text == "Bob's computer has no screen to share (no X display)."
        told = await next_share(pair.customer_sharing, ShareNotice)
        assert told.text == (
            "! Alice asked to view your desktop, but this computer has no screen to share "
            "(no X display)."
        )
        assert not any(isinstance(e, ConsentAsked) for e in pending(pair.customer_sharing))
        assert not pair.customer_sharing.asking
        assert consents == [("Bob", "view-desktop", "could not share")]
        # Nothing is left open: the rep may ask again and is answered the same way.
        await pair.rep_sharing.ask(pair.customer_member(), Activity.CONTROL_DESKTOP)
        notice = await next_share(pair.rep_sharing, ShareNotice)
        notice = await next_share(pair.rep_sharing, ShareNotice)
        assert notice.text == "Bob's computer has no screen to share (no X display)."
        assert consents[1] == ("Bob", "control-desktop", "could not share")
