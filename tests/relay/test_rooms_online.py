"""Creating, joining, forwarding, notices and kicks, over real WebSockets."""

from __future__ import annotations

import trio
import wsproto.events

from codec import (
    CreateRoom,
    Delivered,
    HandOver,
    JoinRoom,
    Kick,
    MemberJoined,
    MemberLeft,
    RelayRejected,
    Send,
    Welcome,
    encode_envelope,
)
from tests.relay.clients import WAIT, Member, RawClient, open_member, open_ws, refused


async def test_host_is_welcomed_as_endpoint_1_of_an_empty_room(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "room1", create=True) as host:
            assert host.welcome == Welcome(id=1, host=1, members=())


async def test_joiners_get_new_ids_and_the_ids_already_present(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with (
            open_member(relay_url, "room1", create=True) as host,
            open_member(relay_url, "room1") as first,
            open_member(relay_url, "room1") as second,
        ):
            assert first.welcome == Welcome(id=2, host=1, members=(1,))
            assert second.welcome == Welcome(id=3, host=1, members=(1, 2))
            assert host.id == 1


async def test_payload_is_delivered_stamped_with_the_sender_id(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with (
            open_member(relay_url, "room1", create=True) as host,
            open_member(relay_url, "room1") as guest,
        ):
            assert await host.receive() == MemberJoined(guest.id)
            await guest.send(Send(to=host.id, payload=b"\x00opaque\xff"))
            assert await host.receive() == Delivered(sender=guest.id, payload=b"\x00opaque\xff")
            await host.send(Send(to=guest.id, payload=b"reply"))
            assert await guest.receive() == Delivered(sender=host.id, payload=b"reply")


async def test_only_the_addressee_receives(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with (
            open_member(relay_url, "room1", create=True) as host,
            open_member(relay_url, "room1") as a,
            open_member(relay_url, "room1") as b,
        ):
            assert await a.receive() == MemberJoined(b.id)
            await host.send(Send(to=b.id, payload=b"for b"))
            await host.send(Send(to=a.id, payload=b"for a"))
            assert await a.receive() == Delivered(host.id, b"for a")
            assert await b.receive() == Delivered(host.id, b"for b")


async def test_a_burst_from_two_senders_arrives_complete_and_in_order(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with (
            open_member(relay_url, "room1", create=True) as host,
            open_member(relay_url, "room1") as a,
            open_member(relay_url, "room1") as b,
        ):
            assert await host.receive() == MemberJoined(a.id)
            assert await host.receive() == MemberJoined(b.id)

            async def burst(member: Member) -> None:
                for i in range(300):
                    await member.send(Send(host.id, i.to_bytes(2, "big") * (1 + i % 50)))

            async with trio.open_nursery() as nursery:
                nursery.start_soon(burst, a)
                nursery.start_soon(burst, b)
            received: dict[int, list[bytes]] = {a.id: [], b.id: []}
            for _ in range(600):
                delivered = await host.receive()
                assert isinstance(delivered, Delivered)
                received[delivered.sender].append(bytes(delivered.payload))
            expected = [i.to_bytes(2, "big") * (1 + i % 50) for i in range(300)]
            assert received == {a.id: expected, b.id: expected}


async def test_rooms_are_separate(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with (
            open_member(relay_url, "roomA", create=True) as host_a,
            open_member(relay_url, "roomB", create=True) as host_b,
            open_member(relay_url, "roomB") as guest_b,
        ):
            assert host_a.id == host_b.id == 1
            await guest_b.send(Send(to=1, payload=b"b only"))
            assert await host_b.receive() == MemberJoined(guest_b.id)
            assert await host_b.receive() == Delivered(guest_b.id, b"b only")
            await host_a.send(Send(to=1, payload=b"self"))
            assert await host_a.receive() == Delivered(1, b"self")


async def test_members_hear_of_joins_and_departures(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "room1", create=True) as host:
            async with open_member(relay_url, "room1") as guest:
                assert await host.receive() == MemberJoined(guest.id)
            assert await host.receive() == MemberLeft(guest.id)


async def test_host_leaving_keeps_the_room_for_the_others(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "room1", create=True) as host:
            async with open_member(relay_url, "room1") as guest:
                await host.ws.aclose()
                assert await guest.receive() == MemberLeft(1)
                async with open_member(relay_url, "room1") as late:
                    assert late.welcome == Welcome(id=3, host=1, members=(2,))
        # Everyone has left: the room is gone and its id can be created afresh.
        async with open_member(relay_url, "room1", create=True) as again:
            assert again.welcome == Welcome(id=1, host=1, members=())


async def test_a_member_coming_back_takes_its_id_and_its_old_connection_is_closed(
    relay_url: str,
) -> None:
    with trio.fail_after(WAIT):
        async with (
            open_member(relay_url, "room1", create=True) as host,
            open_member(relay_url, "room1") as old,
        ):
            assert await host.receive() == MemberJoined(2)
            hello = JoinRoom(2, old.welcome.token)
            async with open_member(relay_url, "room1", hello=hello) as back:
                assert back.welcome == Welcome(id=2, host=1, members=(1,))
                seen, _ = await old.closed()
                assert [e.reason for e in seen if isinstance(e, RelayRejected)] == ["replaced"]
                await host.send(Send(to=2, payload=b"for the new one"))
                assert await back.receive() == Delivered(1, b"for the new one")
                await host.send(Send(to=1, payload=b"to myself"))
                # The old connection's end is no departure: its member is still here.
                assert await host.receive() == MemberJoined(2)
                assert await host.receive() == Delivered(1, b"to myself")


async def test_a_host_recreating_its_room_after_a_restart_keeps_its_id_and_floor(
    relay_url: str,
) -> None:
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "room1", hello=CreateRoom(1, 5)) as host:
            assert host.welcome == Welcome(id=1, host=1, members=())
            async with open_member(relay_url, "room1") as newcomer:
                assert newcomer.id == 5


async def test_creating_an_existing_room_is_rejected(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "room1", create=True), open_ws(relay_url, "room1") as ws:
            rejection, close = await refused(ws, CreateRoom())
            assert (rejection.reason, rejection.fatal) == ("room-exists", True)
            assert close == 1008


async def test_joining_a_missing_room_is_rejected(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with open_ws(relay_url, "nosuchroom") as ws:
            rejection, close = await refused(ws, JoinRoom())
            assert (rejection.reason, rejection.fatal) == ("no-such-room", True)
            assert "check the session number" in rejection.message
            assert close == 1008


async def test_sending_before_joining_is_rejected(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with open_ws(relay_url, "room1") as ws:
            rejection, _ = await refused(ws, Send(1, b"x"))
            assert (rejection.reason, rejection.fatal) == ("not-joined", True)


async def test_sending_to_an_unknown_id_is_rejected_but_not_fatal(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "room1", create=True) as host:
            await host.send(Send(to=42, payload=b"lost"))
            rejection = await host.receive()
            assert rejection == RelayRejected(
                "no-such-member", "endpoint 42 is not in this session", False
            )
            await host.send(Send(to=1, payload=b"still here"))
            assert await host.receive() == Delivered(1, b"still here")


async def test_joining_twice_on_one_connection_is_rejected_but_not_fatal(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with open_member(relay_url, "room1", create=True) as host:
            await host.send(JoinRoom())
            rejection = await host.receive()
            assert isinstance(rejection, RelayRejected)
            assert (rejection.reason, rejection.fatal) == ("already-joined", False)


async def test_host_kicks_a_member(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with (
            open_member(relay_url, "room1", create=True) as host,
            open_member(relay_url, "room1") as guest,
            open_member(relay_url, "room1") as bystander,
        ):
            assert await host.receive() == MemberJoined(guest.id)
            assert await host.receive() == MemberJoined(bystander.id)
            await host.send(Kick(guest.id))
            seen, close = await guest.closed()
            assert seen == [MemberJoined(bystander.id), _KICKED]
            assert close.code == 1008
            assert await host.receive() == MemberLeft(guest.id)
            assert await bystander.receive() == MemberLeft(guest.id)


async def test_a_kicked_member_gets_what_the_host_sent_before_the_kick(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        host = await RawClient.connect(relay_url, "room1")
        try:
            await host.send_envelope(CreateRoom())
            await host.first_envelope()
            async with open_member(relay_url, "room1") as guest:
                await host.read_until(lambda: MemberJoined(guest.id) in host.envelopes())
                # The last words and the kick in one write: the relay reads
                # both before it has sent the first.
                last_words = Send(guest.id, b"you are out because ...")
                await host.stream.send_all(
                    b"".join(
                        host.ws.send(wsproto.events.BytesMessage(encode_envelope(e)))
                        for e in (last_words, Kick(guest.id))
                    )
                )
                seen, close = await guest.closed()
                assert seen == [Delivered(1, b"you are out because ..."), _KICKED]
                assert close.code == 1008
        finally:
            await host.stream.aclose()


async def test_a_member_who_is_not_host_cannot_kick(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with (
            open_member(relay_url, "room1", create=True) as host,
            open_member(relay_url, "room1") as guest,
        ):
            await guest.send(Kick(host.id))
            rejection = await guest.receive()
            assert isinstance(rejection, RelayRejected)
            assert (rejection.reason, rejection.fatal) == ("not-host", False)
            await guest.send(Send(host.id, b"no hard feelings"))
            assert await host.receive() == MemberJoined(guest.id)
            assert await host.receive() == Delivered(guest.id, b"no hard feelings")


async def test_joiners_after_a_hand_over_are_welcomed_with_the_new_host(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with (
            open_member(relay_url, "room1", create=True) as host,
            open_member(relay_url, "room1") as assistant,
        ):
            await host.send(HandOver(assistant.id))
            # The relay reads each endpoint's envelopes in order: a Send after
            # the HandOver arriving proves the HandOver was applied.
            await host.send(Send(assistant.id, b"yours now"))
            assert await assistant.receive() == Delivered(host.id, b"yours now")
            async with open_member(relay_url, "room1") as joiner:
                assert joiner.welcome == Welcome(joiner.id, assistant.id, (host.id, assistant.id))


async def test_a_member_who_is_not_host_cannot_take_the_joins(relay_url: str) -> None:
    with trio.fail_after(WAIT):
        async with (
            open_member(relay_url, "room1", create=True) as host,
            open_member(relay_url, "room1") as guest,
        ):
            await guest.send(HandOver(guest.id))
            rejection = await guest.receive()
            assert isinstance(rejection, RelayRejected)
            assert (rejection.reason, rejection.fatal) == ("not-host", False)
            async with open_member(relay_url, "room1") as joiner:
                assert joiner.welcome.host == host.id


_KICKED = RelayRejected("kicked", "removed by the session host", True)
