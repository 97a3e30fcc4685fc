"""A slow receiver slows its sender; the relay's memory stays within budget."""

from __future__ import annotations

import trio

from codec import JoinRoom, MemberJoined, MemberLeft, RelayRejected, Send, Welcome
from tests.relay.clients import WAIT, Member, RawClient, eventually, open_member, start_relay

BUDGET = 256 * 1024
CHUNK = b"z" * (64 * 1024)
#: Far more than every socket buffer between sender and receiver can hold.
MAX_SEND = 512 * 1024 * 1024


async def join_stuck_receiver(url: str, host: Member) -> tuple[RawClient, int]:
    """A member that joins and then never reads again (tiny receive buffer)."""
    stuck = await RawClient.connect(url, "room1", rcvbuf=4096)
    await stuck.send_envelope(JoinRoom())
    welcome = await stuck.first_envelope()
    assert isinstance(welcome, Welcome)
    assert await host.receive() == MemberJoined(welcome.id)
    return stuck, welcome.id


class Flood:
    """Sends CHUNKs to one endpoint id in the background until stopped."""

    def __init__(self, sender: Member, to: int) -> None:
        self.sender = sender
        self.to = to
        self.sent = 0
        self.stop = False
        self.finished = trio.Event()

    async def run(self) -> None:
        try:
            while not self.stop and self.sent < MAX_SEND:
                await self.sender.send(Send(self.to, CHUNK))
                self.sent += len(CHUNK)
        finally:
            self.finished.set()

    async def wait_until_blocked(self) -> None:
        """Return once no send has completed for half a second."""
        while True:
            before = self.sent
            await trio.sleep(0.5)
            if self.sent == before:
                return
            assert self.sent < MAX_SEND, "the sender was never slowed down"


async def test_a_receiver_that_stops_reading_blocks_its_sender(nursery: trio.Nursery) -> None:
    relay = await start_relay(nursery, receiver_buffer_bytes=BUDGET, slow_receiver_timeout=60)
    with trio.fail_after(30):
        async with open_member(relay.url, "room1", create=True) as host:
            stuck, stuck_id = await join_stuck_receiver(relay.url, host)
            flood = Flood(host, stuck_id)
            nursery.start_soon(flood.run)
            await flood.wait_until_blocked()
            assert flood.sent < MAX_SEND
            assert relay.metrics.buffered_bytes <= BUDGET
            assert relay.metrics.receiver_buffered_bytes_peak <= BUDGET
            # The stuck receiver vanishes: its sender is released at once.
            flood.stop = True
            await stuck.vanish()
            await flood.finished.wait()
            while (envelope := await host.receive()) != MemberLeft(stuck_id):
                assert isinstance(envelope, RelayRejected), envelope
                assert envelope.reason == "no-such-member"
        # Everyone has left: nothing stays accounted as buffered.
        await eventually(lambda: not relay.metrics.buffered_bytes)


async def test_a_receiver_stuck_past_the_timeout_is_dropped(nursery: trio.Nursery) -> None:
    relay = await start_relay(nursery, receiver_buffer_bytes=BUDGET, slow_receiver_timeout=0.3)
    with trio.fail_after(30):
        async with open_member(relay.url, "room1", create=True) as host:
            stuck, stuck_id = await join_stuck_receiver(relay.url, host)
            flood = Flood(host, stuck_id)
            nursery.start_soon(flood.run)
            with trio.fail_after(WAIT + 10):
                while (envelope := await host.receive()) != MemberLeft(stuck_id):
                    assert isinstance(envelope, RelayRejected), envelope
            flood.stop = True
            await flood.finished.wait()
            assert relay.metrics.rejections["slow-receiver"] == 1
            assert relay.metrics.receiver_buffered_bytes_peak <= BUDGET
            await stuck.stream.aclose()
