"""Each limit of the relay, with tiny settings so nothing waits long."""

from __future__ import annotations

import pytest
import trio
import wsproto.events

from codec import (
    CreateRoom,
    Delivered,
    JoinRoom,
    MemberJoined,
    MemberLeft,
    RelayRejected,
    Send,
    Welcome,
)
from tests.relay.clients import (
    WAIT,
    RawClient,
    eventually,
    host_port,
    http_get,
    metric,
    open_member,
    open_ws,
    refused,
    rejected,
    start_relay,
)


async def test_a_full_room_rejects_the_next_joiner(nursery: trio.Nursery) -> None:
    relay = await start_relay(nursery, max_endpoints_per_room=2)
    with trio.fail_after(WAIT):
        async with (
            open_member(relay.url, "room1", create=True),
            open_member(relay.url, "room1"),
            open_ws(relay.url, "room1") as third,
        ):
            rejection, close = await refused(third, JoinRoom())
            assert rejection.reason == "room-full"
            assert close == 1008


async def test_the_relay_refuses_rooms_beyond_its_limit(nursery: trio.Nursery) -> None:
    relay = await start_relay(nursery, max_rooms=1)
    with trio.fail_after(WAIT):
        async with open_member(relay.url, "room1", create=True), open_ws(relay.url, "room2") as ws:
            rejection, _ = await refused(ws, CreateRoom())
            assert rejection.reason == "too-many-rooms"
        # The first room has closed, so a new one fits again.
        async with open_member(relay.url, "room2", create=True) as host:
            assert host.welcome == Welcome(1, 1, ())


@pytest.mark.parametrize("size", [65 * 1024, 2 * 1024 * 1024], ids=["just-over", "far-over"])
async def test_oversized_message_closes_only_its_sender_with_1009(
    nursery: trio.Nursery, size: int
) -> None:
    relay = await start_relay(nursery, max_message_bytes=64 * 1024)
    with trio.fail_after(WAIT):
        async with (
            open_member(relay.url, "room1", create=True) as host,
            open_member(relay.url, "room1") as guest,
            open_member(relay.url, "room2", create=True) as elsewhere,
        ):
            assert await host.receive() == MemberJoined(guest.id)
            await guest.send(Send(host.id, b"x" * size))
            _, close = await guest.closed()
            assert close.code == 1009
            assert await host.receive() == MemberLeft(guest.id)
            # Just under the limit still goes through, here and elsewhere.
            near_limit = b"y" * (64 * 1024 - 16)
            await host.send(Send(host.id, near_limit))
            assert await host.receive() == Delivered(host.id, near_limit)
            await elsewhere.send(Send(elsewhere.id, b"still fine"))
            assert await elsewhere.receive() == Delivered(elsewhere.id, b"still fine")
        assert await metric(relay.url, 'rejections_total{reason="too-big"}') == 1


async def test_refused_join_attempts_per_address_are_rate_limited(nursery: trio.Nursery) -> None:
    relay = await start_relay(nursery, failed_joins_per_minute=2)
    with trio.fail_after(WAIT):
        async with open_member(relay.url, "room1", create=True):
            for _ in range(2):
                async with open_ws(relay.url, "wrongroom") as ws:
                    rejection, _ = await refused(ws, JoinRoom())
                    assert rejection.reason == "no-such-room"
            async with open_ws(relay.url, "room1") as ws:
                rejection, close = await refused(ws, JoinRoom())
                assert rejection.reason == "rate-limited"
                assert "try again in" in rejection.message
                assert close == 1008
            # Creating a room is not a join attempt.
            async with open_member(relay.url, "room2", create=True):
                pass


async def test_forwarded_for_is_used_only_when_trusted(nursery: trio.Nursery) -> None:
    relay = await start_relay(nursery, failed_joins_per_minute=1, trust_forwarded_for=True)
    with trio.fail_after(WAIT):
        for address in ("10.0.0.1", "10.0.0.2"):
            client = await RawClient.connect(
                relay.url, "wrongroom", headers=[(b"X-Forwarded-For", f"6.6.6.6, {address}")]
            )
            await client.send_envelope(JoinRoom())
            answer = await client.first_envelope()
            assert isinstance(answer, RelayRejected)
            assert answer.reason == "no-such-room"
            await client.vanish()


async def test_forwarded_for_is_ignored_when_not_trusted(nursery: trio.Nursery) -> None:
    """A client cannot dodge the per-address limit by claiming another address."""
    relay = await start_relay(nursery, failed_joins_per_minute=1, trust_forwarded_for=False)
    with trio.fail_after(WAIT):
        reasons = []
        for address in ("10.0.0.1", "10.0.0.2"):
            client = await RawClient.connect(
                relay.url, "wrongroom", headers=[(b"X-Forwarded-For", address)]
            )
            await client.send_envelope(JoinRoom())
            answer = await client.first_envelope()
            assert isinstance(answer, RelayRejected)
            reasons.append(answer.reason)
            await client.vanish()
    assert reasons == ["no-such-room", "rate-limited"]


async def test_connections_beyond_the_limit_get_503(nursery: trio.Nursery) -> None:
    relay = await start_relay(nursery, max_connections=1)
    with trio.fail_after(WAIT):
        async with open_member(relay.url, "room1", create=True):
            status, _, body = await http_get(relay.url, "/healthz")
            assert status == 503
            assert b"retry later" in body
        await eventually(lambda: relay.metrics.connections_open == 0)
        assert (await http_get(relay.url, "/healthz"))[0] == 200


async def test_a_connection_that_never_says_hello_is_closed(nursery: trio.Nursery) -> None:
    relay = await start_relay(nursery, handshake_timeout=0.2)
    with trio.fail_after(WAIT):
        async with open_ws(relay.url, "room1") as ws:
            seen_at = trio.current_time()
            rejection, close = await rejected(ws)
            assert rejection.reason == "handshake-timeout"
            assert close == 1008
            assert trio.current_time() - seen_at < 2
        # Not even an HTTP request: the TCP connection is simply closed.
        host, port = host_port(relay.url)
        async with await trio.open_tcp_stream(host, port) as stream:
            assert await stream.receive_some(100) == b""


async def test_a_silent_endpoint_is_pinged_then_closed(nursery: trio.Nursery) -> None:
    relay = await start_relay(nursery, idle_timeout=0.3, close_timeout=0.2)
    with trio.fail_after(WAIT):
        client = await RawClient.connect(relay.url, "room1")
        await client.send_envelope(CreateRoom())
        events = await client.read_until_closed()
        assert any(isinstance(e, wsproto.events.Ping) for e in events)
        rejections = [e for e in client.envelopes() if isinstance(e, RelayRejected)]
        assert [r.reason for r in rejections] == ["idle-timeout"]
        assert client.close_code() == 1008
        await client.stream.aclose()


async def test_an_endpoint_answering_pings_stays_connected(nursery: trio.Nursery) -> None:
    relay = await start_relay(nursery, idle_timeout=0.2)
    with trio.fail_after(WAIT):
        async with open_member(relay.url, "room1", create=True) as host:
            await trio.sleep(0.7)
            await host.send(Send(host.id, b"awake"))
            assert await host.receive() == Delivered(host.id, b"awake")


async def test_a_joiner_the_host_never_answers_is_closed(nursery: trio.Nursery) -> None:
    relay = await start_relay(nursery, join_answer_timeout=0.3)
    with trio.fail_after(WAIT):
        async with open_member(relay.url, "room1", create=True) as host:
            silent = await RawClient.connect(relay.url, "room1")
            await silent.send_envelope(JoinRoom())
            answered = await RawClient.connect(relay.url, "room1")
            await answered.send_envelope(JoinRoom())
            await host.send(Send(3, b"your handshake's reply"))
            await silent.read_until_closed()
            rejections = [e for e in silent.envelopes() if isinstance(e, RelayRejected)]
            assert [r.reason for r in rejections] == ["unanswered"]
            assert silent.close_code() == 1008
            await trio.sleep(0.5)
            await answered.send_envelope(Send(1, b"still here"))
            assert await host.receive() == MemberJoined(2)
            assert await host.receive() == MemberJoined(3)
            assert await host.receive() == MemberLeft(2)
            assert await host.receive() == Delivered(3, b"still here")
            await silent.stream.aclose()
            await answered.stream.aclose()
