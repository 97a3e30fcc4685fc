"""Rejoin tokens: who may take an endpoint id at the relay, without a network or a clock.

Someone who knows only the room id must not take a present member's place,
the host's included; the member itself, with the token its Welcome gave it,
must. A relay that restarted knows no tokens: the first to claim an id sets
its token, and for a while after the room is re-created a later claim may
take it over (the end-to-end resume tells the real member apart).
"""

from __future__ import annotations

import itertools

import pytest
import trio

from codec import REJOIN_TOKEN_BYTES, CreateRoom, JoinRoom, RelayRejected
from relay._errors import NoSuchMemberError, PlaceTakenError
from relay._rooms import CLAIM_WINDOW, Rooms
from tests.relay.clients import WAIT, open_member, open_ws, refused, start_relay

STRANGER = b"s" * REJOIN_TOKEN_BYTES
BOBS_OLD = b"b" * REJOIN_TOKEN_BYTES
REPS_OLD = b"r" * REJOIN_TOKEN_BYTES


def make_rooms(*, max_away: int = 64) -> Rooms[str]:
    numbers = itertools.count(1)
    return Rooms(
        max_rooms=10,
        max_endpoints_per_room=8,
        max_away=max_away,
        new_token=lambda: next(numbers).to_bytes(REJOIN_TOKEN_BYTES, "big"),
    )


def room_with_bob(rooms: Rooms[str]) -> bytes:
    """A room "abc" with the host (1) and Bob (2), whom the host answered; Bob's token."""
    rooms.create("abc", "host", now=0.0)
    assert rooms.join("abc", "bob", now=0.0).id == 2
    assert rooms.answered("abc", by=1, to=2)
    return rooms.token("abc", 2)


def test_every_endpoint_gets_its_own_random_token() -> None:
    rooms: Rooms[str] = Rooms(max_rooms=10, max_endpoints_per_room=8)
    rooms.create("abc", "host", now=0.0)
    rooms.join("abc", "bob", now=0.0)
    host, bob = rooms.token("abc", 1), rooms.token("abc", 2)
    assert len(host) == len(bob) == REJOIN_TOKEN_BYTES
    assert host != bob


def test_a_stranger_without_the_token_cannot_take_a_present_members_place() -> None:
    rooms = make_rooms()
    room_with_bob(rooms)
    with pytest.raises(PlaceTakenError, match="rejoin token does not match"):
        rooms.join("abc", "stranger", now=1.0, wanted=2)
    room = rooms.get("abc")
    assert room is not None
    assert room.members == {1: "host", 2: "bob"}


def test_a_wrong_token_is_refused_like_none() -> None:
    rooms = make_rooms()
    room_with_bob(rooms)
    with pytest.raises(PlaceTakenError):
        rooms.join("abc", "stranger", now=1.0, wanted=2, token=STRANGER)


def test_nobody_without_the_hosts_token_takes_the_hosts_place() -> None:
    rooms = make_rooms()
    room_with_bob(rooms)
    with pytest.raises(PlaceTakenError):
        rooms.join("abc", "stranger", now=1.0, wanted=1)
    room = rooms.get("abc")
    assert room is not None
    assert (room.host, room.members[1]) == (1, "host")


def test_the_member_with_its_token_takes_its_place_back_and_keeps_its_token() -> None:
    rooms = make_rooms()
    token = room_with_bob(rooms)
    again = rooms.join("abc", "bob again", now=1.0, wanted=2, token=token)
    assert (again.id, again.replaced, again.contested) == (2, "bob", False)
    assert rooms.token("abc", 2) == token


def test_the_place_of_a_member_away_is_kept_for_its_token() -> None:
    rooms = make_rooms()
    token = room_with_bob(rooms)
    rooms.leave("abc", 2, now=1.0)
    with pytest.raises(PlaceTakenError):
        rooms.join("abc", "stranger", now=2.0, wanted=2)
    assert rooms.join("abc", "bob back", now=3.0, wanted=2, token=token).id == 2


def test_the_host_away_comes_back_with_its_token_and_nobody_else_does() -> None:
    rooms = make_rooms()
    room_with_bob(rooms)
    host_token = rooms.token("abc", 1)
    rooms.leave("abc", 1, now=1.0)
    with pytest.raises(PlaceTakenError):
        rooms.join("abc", "stranger", now=2.0, wanted=1)
    assert rooms.join("abc", "host back", now=3.0, wanted=1, token=host_token).id == 1


def test_a_joiner_the_host_never_answered_leaves_no_place_behind() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0)
    rooms.join("abc", "flood", now=0.0)
    rooms.leave("abc", 2, now=1.0)
    room = rooms.get("abc")
    assert room is not None
    assert 2 not in room.tokens


def test_a_member_coming_back_keeps_its_place_even_before_the_host_answers_again() -> None:
    rooms = make_rooms()
    token = room_with_bob(rooms)
    rooms.join("abc", "bob again", now=1.0, wanted=2, token=token)
    rooms.leave("abc", 2, now=2.0, endpoint="bob again")  # dropped again at once
    with pytest.raises(PlaceTakenError):
        rooms.join("abc", "stranger", now=3.0, wanted=2)


def test_an_id_the_host_kicked_is_no_longer_held_even_if_it_left_first() -> None:
    rooms = make_rooms()
    room_with_bob(rooms)
    rooms.leave("abc", 2, now=1.0)
    with pytest.raises(NoSuchMemberError):
        rooms.kick("abc", by=1, target=2)
    joined = rooms.join("abc", "someone", now=2.0, wanted=2, token=STRANGER)
    assert rooms.token("abc", joined.id) == STRANGER


def test_only_so_many_places_are_kept_for_members_away_the_oldest_goes_first() -> None:
    rooms = make_rooms(max_away=2)
    rooms.create("abc", "host", now=0.0)
    for name in ("a", "b", "c"):
        eid = rooms.join("abc", name, now=0.0).id
        rooms.answered("abc", by=1, to=eid)
        rooms.leave("abc", eid, now=1.0)
    room = rooms.get("abc")
    assert room is not None
    assert sorted(room.tokens) == [1, 3, 4]


def test_after_a_restart_the_first_to_claim_an_id_sets_its_token() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0, wanted=1, floor=5, token=REPS_OLD)
    assert rooms.token("abc", 1) == REPS_OLD
    assert rooms.join("abc", "bob back", now=1.0, wanted=2, token=BOBS_OLD).id == 2
    assert rooms.token("abc", 2) == BOBS_OLD
    # Its welcome got lost: the same token still opens the same place.
    again = rooms.join("abc", "bob again", now=2.0, wanted=2, token=BOBS_OLD)
    assert (again.replaced, again.contested) == ("bob back", False)


def test_in_a_re_created_room_a_member_takes_its_id_back_from_a_stranger_who_was_first() -> None:
    rooms = make_rooms()
    rooms.create("abc", "rep", now=0.0, wanted=1, floor=5, token=REPS_OLD)
    rooms.join("abc", "stranger", now=1.0, wanted=2, token=STRANGER)
    bob = rooms.join("abc", "bob", now=CLAIM_WINDOW - 1, wanted=2, token=BOBS_OLD)
    assert (bob.id, bob.replaced, bob.contested) == (2, "stranger", True)
    assert rooms.token("abc", 2) == BOBS_OLD


def test_nobody_takes_the_hosts_id_from_whoever_re_created_the_room() -> None:
    # Not the rep from a stranger who was first (the rep moves its session
    # elsewhere instead), nor a stranger from the rep late in the window.
    rooms = make_rooms()
    rooms.create("abc", "stranger", now=0.0, wanted=1, floor=5, token=STRANGER)
    with pytest.raises(PlaceTakenError):
        rooms.join("abc", "rep", now=1.0, wanted=1, token=REPS_OLD)
    rooms = make_rooms()
    rooms.create("abc", "rep", now=0.0, wanted=1, floor=5, token=REPS_OLD)
    with pytest.raises(PlaceTakenError):
        rooms.join("abc", "stranger", now=CLAIM_WINDOW - 0.1, wanted=1, token=STRANGER)
    room = rooms.get("abc")
    assert room is not None
    assert room.members[1] == "rep"


def test_after_the_claim_window_whoever_holds_an_unproven_id_keeps_it() -> None:
    rooms = make_rooms()
    rooms.create("abc", "rep", now=0.0, wanted=1, floor=5, token=REPS_OLD)
    rooms.join("abc", "bob", now=1.0, wanted=2, token=BOBS_OLD)
    for wanted in (1, 2):
        with pytest.raises(PlaceTakenError):
            rooms.join("abc", "stranger", now=CLAIM_WINDOW, wanted=wanted, token=STRANGER)


def test_a_fresh_id_given_out_in_a_re_created_room_cannot_be_contested() -> None:
    rooms = make_rooms()
    rooms.create("abc", "rep", now=0.0, wanted=1, floor=5, token=REPS_OLD)
    newcomer = rooms.join("abc", "newcomer", now=1.0)
    assert newcomer.id == 5
    with pytest.raises(PlaceTakenError):
        rooms.join("abc", "stranger", now=2.0, wanted=5, token=STRANGER)


def test_a_room_opened_afresh_has_no_claim_window() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0)
    rooms.join("abc", "someone", now=0.0)  # id 2, never answered: no place kept
    rooms.leave("abc", 2, now=0.0)
    rooms.join("abc", "someone", now=0.0, wanted=2, token=STRANGER)
    with pytest.raises(PlaceTakenError):
        rooms.join("abc", "another", now=1.0, wanted=2)


def test_an_id_the_room_never_gave_out_cannot_be_claimed() -> None:
    rooms = make_rooms()
    room_with_bob(rooms)
    for wanted in (3, 2**31 - 1):
        with pytest.raises(PlaceTakenError, match=f"never an endpoint {wanted} "):
            rooms.join("abc", "stranger", now=1.0, wanted=wanted, token=STRANGER)
    assert rooms.join("abc", "carol", now=2.0).id == 3


async def test_a_claim_on_the_last_endpoint_id_does_not_shut_the_room(
    nursery: trio.Nursery,
) -> None:
    relay = await start_relay(nursery)
    with trio.fail_after(WAIT):
        async with open_member(relay.url, "room1", hello=CreateRoom()) as host:
            async with open_ws(relay.url, "room1") as ws:
                rejection, _ = await refused(ws, JoinRoom(2**31 - 1, STRANGER))
            assert rejection.reason == "place-taken"
            async with open_member(relay.url, "room1", hello=JoinRoom()) as carol:
                assert (carol.id, host.id) == (2, 1)


def test_in_a_re_created_room_a_claim_far_past_the_floor_is_refused_and_newcomers_still_join() -> (
    None
):
    rooms = make_rooms()
    rooms.create("abc", "rep", now=0.0, wanted=1, floor=5, token=REPS_OLD)
    with pytest.raises(PlaceTakenError):
        rooms.join("abc", "stranger", now=1.0, wanted=2**31 - 1, token=STRANGER)
    assert rooms.join("abc", "carol", now=2.0).id == 5


def test_a_member_a_little_past_a_strangers_floor_comes_back_in_the_claim_window() -> None:
    # A stranger re-created the room first, with a floor lower than the session's.
    rooms = make_rooms()
    rooms.create("abc", "stranger", now=0.0, wanted=1)
    bob = rooms.join("abc", "bob back", now=1.0, wanted=9, token=BOBS_OLD)
    assert bob.id == 9
    assert rooms.join("abc", "carol", now=2.0).id == 10


async def test_in_a_re_created_room_each_take_over_costs_a_refused_join(
    nursery: trio.Nursery,
) -> None:
    relay = await start_relay(nursery, failed_joins_per_minute=1)
    with trio.fail_after(WAIT):
        async with (
            open_member(relay.url, "room1", hello=CreateRoom(1, 5, REPS_OLD)),
            open_member(relay.url, "room1", hello=JoinRoom(2, STRANGER)) as first,
            open_member(relay.url, "room1", hello=JoinRoom(2, BOBS_OLD)) as bob,
        ):
            assert bob.id == 2
            seen, _ = await first.closed()
            assert [e.reason for e in seen if isinstance(e, RelayRejected)] == ["replaced"]
            async with open_ws(relay.url, "room1") as ws:
                rejection, _ = await refused(ws, JoinRoom(2, STRANGER))
            assert rejection.reason == "rate-limited"
