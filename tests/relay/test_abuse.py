"""The relay probed as an attacker would, each probe against a real relay process.

In every probe the relay must stay up, log no traceback and keep serving a
live pair (a rep and a customer meeting in a fresh room).
"""

from __future__ import annotations

import random
import struct
from typing import TYPE_CHECKING

import pytest
import trio
import wsproto.events

from codec import CreateRoom, JoinRoom, RelayRejected, Send, Welcome
from peer._events import MemberJoined
from peer._open import open_hosted_session, open_joined_session
from tests.peer.helpers import invite, next_event
from tests.relay.clients import WAIT, RawClient, http_exchange, metric, open_member
from tests.relay.hostile import (
    as_address,
    live_pair_from,
    live_pair_works,
    open_attacked_relay,
)
from tests.relay.test_frames import frame

if TYPE_CHECKING:
    from pathlib import Path

MiB = 1024 * 1024
PROBE = 60  # the slowest probe (a flood) on a busy 2-core machine


async def test_a_room_creation_flood_from_one_address_leaves_room_for_others(
    tmp_path: Path,
) -> None:
    flags = ("--trust-forwarded-for", "--rooms-per-minute", "20", "--max-rooms-per-address", "5")
    async with open_attacked_relay(tmp_path, *flags) as relay:
        with trio.fail_after(PROBE):
            held: list[RawClient] = []
            refusals: list[str] = []
            for i in range(60):
                client = await as_address(relay.url, f"flood{i}", "10.6.6.6")
                await client.send_envelope(CreateRoom())
                answer = await client.first_envelope()
                if isinstance(answer, Welcome):
                    held.append(client)
                else:
                    assert isinstance(answer, RelayRejected)
                    refusals.append(answer.reason)
                    await client.stream.aclose()
            assert len(held) == 5
            assert set(refusals) == {"too-many-rooms", "rate-limited"}
            # A rep elsewhere still opens a session and the customer meets them.
            await live_pair_from(relay.url, "rep1", "192.0.2.10")
            for client in held:
                await client.stream.aclose()
        relay.assert_still_running_without_tracebacks()


async def test_a_join_flood_from_one_address_does_not_keep_a_real_customer_behind_it_out(
    tmp_path: Path,
) -> None:
    """Everything here is 127.0.0.1: the flood and the customer share one address.

    The flood knows the room id (say, it overheard it) and not the code: 40
    joiners that never say a word and stay connected, then 40 that join and
    vanish. The customer, joining after them with the whole code, gets in.
    """
    async with open_attacked_relay(tmp_path) as relay:
        with trio.fail_after(PROBE):
            async with open_hosted_session(relay.url, "Alice") as rep:
                silent: list[RawClient] = []
                for _ in range(40):
                    client = await RawClient.connect(relay.url, rep.code.room)
                    await client.send_envelope(JoinRoom())
                    silent.append(client)
                for _ in range(40):
                    client = await RawClient.connect(relay.url, rep.code.room)
                    await client.send_envelope(JoinRoom())
                    await client.first_envelope()
                    await client.vanish()
                async with open_joined_session(invite(rep), "Bob") as bob:
                    assert (await next_event(rep, MemberJoined)).name == "Bob"
                    assert [m.name for m in bob.roster()] == ["Alice", "Bob"]
                for client in silent:
                    await client.stream.aclose()
            await live_pair_works(relay.url)
        relay.assert_still_running_without_tracebacks()


async def test_connections_per_address_are_capped(tmp_path: Path) -> None:
    flags = ("--trust-forwarded-for", "--max-connections-per-address", "4")
    async with open_attacked_relay(tmp_path, *flags) as relay:
        with trio.fail_after(PROBE):
            held = [await as_address(relay.url, f"c{i}", "10.6.6.6") for i in range(4)]
            upgrade = (
                "GET /s/c5 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                "X-Forwarded-For: 10.6.6.6\r\n\r\n"
            )
            status, _, body = await http_exchange(relay.url, upgrade.encode())
            assert status == 429
            assert b"too many connections from your address" in body
            await live_pair_from(relay.url, "rep1", "192.0.2.10")
            for client in held:
                await client.stream.aclose()
        relay.assert_still_running_without_tracebacks()


class Stall:
    """A room whose host floods a member that never reads."""

    def __init__(self, url: str, room: str) -> None:
        self.url = url
        self.room = room
        self.stop = False

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        host = await RawClient.connect(self.url, self.room, sndbuf=32 * 1024)
        try:
            stuck = await RawClient.connect(self.url, self.room, rcvbuf=4096)
        except BaseException:
            await trio.aclose_forcefully(host.stream)
            raise
        try:
            await host.send_envelope(CreateRoom())
            await host.first_envelope()
            await stuck.send_envelope(JoinRoom())
            assert isinstance(await stuck.first_envelope(), Welcome)
            task_status.started()
            chunk = host.ws.send(wsproto.events.BytesMessage(_send_bytes(2, 64 * 1024)))
            while not self.stop:
                with trio.move_on_after(0.2):
                    await host.stream.send_all(chunk)
        finally:
            await trio.aclose_forcefully(host.stream)
            await trio.aclose_forcefully(stuck.stream)


def _send_bytes(to: int, n: int) -> bytes:
    from codec import encode_envelope

    return encode_envelope(Send(to, b"s" * n))


async def test_a_hundred_stalled_receivers_stay_within_the_total_buffer(tmp_path: Path) -> None:
    flags = (
        "--receiver-buffer-bytes",
        str(MiB),
        "--total-buffer-bytes",
        str(4 * MiB),
        "--slow-receiver-timeout",
        "120",
        "--send-buffer-bytes",
        "65536",
        "--max-connections-per-address",
        "1000",
        "--rooms-per-minute",
        "1000",
        "--max-rooms-per-address",
        "1000",
        "--failed-joins-per-minute",
        "1000",
    )
    async with open_attacked_relay(tmp_path, *flags) as relay:
        await live_pair_works(relay.url, "warmup")
        before = relay.rss_bytes()
        with trio.fail_after(PROBE * 2):
            async with trio.open_nursery() as nursery:
                stalls = [Stall(relay.url, f"stall{i}") for i in range(100)]
                for stall in stalls:
                    await nursery.start(stall.run)
                # Every sender is held back by the relay (its kernel buffers may
                # still be filling; that is the kernel's memory, not the relay's).
                while await metric(relay.url, "senders_waiting") < len(stalls):  # noqa: ASYNC110
                    await trio.sleep(0.2)  # polling another process
                assert await metric(relay.url, "buffered_bytes") <= 4 * MiB + 100 * 70_000
                grown = relay.rss_bytes() - before
                # 100 receivers x 1 MiB would be 100 MiB. The total is 4 MiB,
                # plus per receiver one 64 KiB message queued and one read but
                # held back, plus the relay's own bookkeeping of 200 connections.
                assert grown < 4 * MiB + 100 * 2 * 64 * 1024 + 200 * 32 * 1024, grown
                await live_pair_works(relay.url)
                for stall in stalls:
                    stall.stop = True
        relay.assert_still_running_without_tracebacks()


async def test_memory_returns_after_a_connection_flood(tmp_path: Path) -> None:
    flags = (
        *("--max-connections-per-address", "2000", "--rooms-per-minute", "5000"),
        *("--max-rooms-per-address", "5000", "--failed-joins-per-minute", "5000"),
    )
    rng = random.Random(12)
    async with open_attacked_relay(tmp_path, *flags) as relay:
        await live_pair_works(relay.url, "warmup")
        before = relay.rss_bytes()
        peak = before
        with trio.fail_after(PROBE * 2):
            for wave in range(5):
                clients = []
                for i in range(200):
                    client = await RawClient.connect(relay.url, f"w{wave}r{i // 2}")
                    await client.send_envelope(CreateRoom() if i % 2 == 0 else JoinRoom())
                    step = rng.randrange(3)
                    if step >= 1:
                        await client.send_envelope(Send(1, b"p" * rng.randrange(1, 200_000)))
                    if step >= 2:
                        partial = client.ws.send(wsproto.events.BytesMessage(b"q" * 300_000))
                        await client.stream.send_all(partial[: rng.randrange(len(partial))])
                    clients.append(client)
                peak = max(peak, relay.rss_bytes())
                rng.shuffle(clients)
                for client in clients:
                    await client.vanish()
            await live_pair_works(relay.url)
            with trio.move_on_after(2):
                while relay.rss_bytes() - before > 8 * MiB:  # noqa: ASYNC110 - polling a process
                    await trio.sleep(0.1)
        after = relay.rss_bytes()
        state = [
            await metric(relay.url, m) for m in ("connections_open", "rooms_open", "buffered_bytes")
        ]
        assert after - before < max(8 * MiB, (peak - before) // 3), (before, peak, after, state)
        relay.assert_still_running_without_tracebacks()


MASK = b"\x01\x02\x03\x04"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (frame(2, b"x", rsv=4), 1002),
        (frame(2, b"x", masked=False), 1002),
        (frame(3, b"x"), 1002),
        (frame(1, b"\xc3\x28"), 1007),
        (frame(8, struct.pack("!H", 999)), 1002),
        (frame(2, b"", fin=False) + frame(0, b"", fin=False) * 200_000, 1008),
    ],
    ids=["reserved-bits", "unmasked", "bad-opcode", "bad-utf8", "close-code-999", "empty-frames"],
)
async def test_protocol_violations_get_a_close_code(tmp_path: Path, raw: bytes, code: int) -> None:
    async with open_attacked_relay(tmp_path) as relay:
        with trio.fail_after(PROBE):
            async with open_member(relay.url, "calm", create=True):
                client = await RawClient.connect(relay.url, "bad")
                await client.stream.send_all(raw)
                await client.read_until_closed()
                assert client.close_code() == code
                await client.stream.aclose()
                await live_pair_works(relay.url)
        relay.assert_still_running_without_tracebacks()


async def test_a_64_mib_message_is_refused_with_1009_and_no_traceback(tmp_path: Path) -> None:
    async with open_attacked_relay(tmp_path) as relay:
        with trio.fail_after(PROBE):
            for attempt in range(3):
                async with open_member(relay.url, f"big{attempt}", create=True) as host:
                    await host.ws.send_message(_send_bytes(1, 64 * MiB))
                    _, close = await host.closed()
                    assert close.code == 1009
            await live_pair_works(relay.url)
        relay.assert_still_running_without_tracebacks()
        assert "too-big" in relay.log()


async def test_a_room_nobody_joins_is_closed_after_the_pairing_timeout(tmp_path: Path) -> None:
    async with open_attacked_relay(tmp_path, "--pairing-timeout", "0.5") as relay:
        with trio.fail_after(PROBE):
            async with open_member(relay.url, "lonely", create=True) as host:
                seen, close = await host.closed()
                assert [type(e) for e in seen] == [RelayRejected]
                assert isinstance(seen[0], RelayRejected)
                assert seen[0].reason == "pairing-timeout"
                assert close.code == 1008
            # The room is gone: its id can be opened again.
            async with open_member(relay.url, "lonely", create=True) as again:
                assert again.welcome == Welcome(1, 1, ())
                async with open_member(relay.url, "lonely") as customer:
                    assert customer.welcome.host == 1
                    # Paired now: the deadline no longer applies.
                    await trio.sleep(1.0)
                    await customer.send(Send(1, b"still here"))
                    assert (await again.receive()) is not None
        relay.assert_still_running_without_tracebacks()


async def test_a_slowloris_and_a_silent_upgraded_connection_are_closed(tmp_path: Path) -> None:
    flags = ("--handshake-timeout", "0.5")
    async with open_attacked_relay(tmp_path, *flags) as relay:
        with trio.fail_after(PROBE):
            host, port = relay.url.removeprefix("ws://").rsplit(":", 1)
            async with await trio.open_tcp_stream(host, int(port)) as slow:
                await slow.send_all(b"GET /s/room1 HTTP/1.1\r\nHost: x\r\n")
                with trio.fail_after(WAIT):
                    while await slow.receive_some(100):
                        pass
            silent = await RawClient.connect(relay.url, "quiet")
            rejection = await silent.first_envelope()
            assert isinstance(rejection, RelayRejected)
            assert rejection.reason == "handshake-timeout"
            await silent.stream.aclose()
            await live_pair_works(relay.url)
        relay.assert_still_running_without_tracebacks()
