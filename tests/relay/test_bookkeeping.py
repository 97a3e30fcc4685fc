"""Rooms, the join rate limiter and liveness deadlines, without a network or a clock."""

from __future__ import annotations

import math

import pytest

from relay._errors import (
    NoSuchMemberError,
    NoSuchRoomError,
    NotHostError,
    RoomExistsError,
    RoomFullError,
    TooManyRoomsError,
)
from relay._liveness import Liveness, LivenessAction
from relay._ratelimit import RateLimiter
from relay._rooms import Rooms


def make_rooms(max_rooms: int = 10, per_room: int = 3) -> Rooms[str]:
    return Rooms(max_rooms=max_rooms, max_endpoints_per_room=per_room)


def test_host_gets_id_1_and_joiners_count_up() -> None:
    rooms = make_rooms()
    assert rooms.create("abc", "host", now=0.0) == 1
    assert rooms.join("abc", "a", now=0.0).id == 2
    joined = rooms.join("abc", "b", now=0.0)
    room = joined.room
    assert joined.id == 3
    assert room.host == 1
    assert list(room.members) == [1, 2, 3]


def test_ids_are_not_reused_while_the_room_lives() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0)
    rooms.join("abc", "a", now=0.0)
    rooms.leave("abc", 2, now=1.0)
    assert rooms.join("abc", "b", now=0.0).id == 3


def test_a_member_coming_back_gets_its_old_id_and_replaces_its_dead_connection() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0)
    rooms.join("abc", "bob's dead connection", now=0.0)
    token = rooms.token("abc", 2)
    joined = rooms.join("abc", "bob again", now=1.0, wanted=2, token=token)
    room = joined.room
    assert (joined.id, joined.replaced) == (2, "bob's dead connection")
    assert room.members[2] == "bob again"
    # The dead connection's own departure, when the relay notices it, takes nothing along.
    assert rooms.leave("abc", 2, now=1.0, endpoint="bob's dead connection") is None
    assert room.members[2] == "bob again"


def test_an_id_asked_for_is_never_given_to_a_newcomer_later() -> None:
    rooms = make_rooms(per_room=5)
    rooms.create("abc", "host", now=0.0, wanted=1)  # re-created, with no floor
    rooms.join("abc", "carol back first", now=0.0, wanted=3)
    assert rooms.join("abc", "newcomer", now=0.0).id == 4


def test_a_host_recreating_its_room_keeps_ids_below_the_floor_for_its_members() -> None:
    rooms = make_rooms(per_room=5)
    assert rooms.create("abc", "host", now=0.0, wanted=1, floor=4) == 1
    assert rooms.join("abc", "newcomer", now=0.0).id == 4
    assert rooms.join("abc", "bob back", now=0.0, wanted=2).id == 2


def test_creating_an_existing_room_is_refused() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0)
    with pytest.raises(RoomExistsError, match="already in use"):
        rooms.create("abc", "other", now=0.0)


def test_joining_a_missing_room_is_refused() -> None:
    with pytest.raises(NoSuchRoomError, match="check the session number"):
        make_rooms().join("nope", "a", now=0.0)


def test_a_full_room_refuses_joiners() -> None:
    rooms = make_rooms(per_room=2)
    rooms.create("abc", "host", now=0.0)
    rooms.join("abc", "a", now=0.0)
    with pytest.raises(RoomFullError):
        rooms.join("abc", "b", now=0.0)


def test_room_count_is_capped() -> None:
    rooms = make_rooms(max_rooms=1)
    rooms.create("one", "host", now=0.0)
    with pytest.raises(TooManyRoomsError):
        rooms.create("two", "host", now=0.0)


def test_last_member_leaving_deletes_the_room() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=10.0)
    rooms.join("abc", "a", now=0.0)
    first = rooms.leave("abc", 1, now=11.0)
    assert first is not None
    assert first.remaining == ["a"]
    assert first.closed_after is None
    last = rooms.leave("abc", 2, now=15.0)
    assert last is not None
    assert last.closed_after == 5.0
    assert rooms.get("abc") is None
    assert len(rooms) == 0


def test_room_outlives_its_host_while_others_remain() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0)
    rooms.join("abc", "a", now=0.0)
    rooms.leave("abc", 1, now=1.0)
    room = rooms.get("abc")
    assert room is not None
    assert room.host == 1
    assert list(room.members) == [2]


def test_leaving_twice_is_harmless() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0)
    assert rooms.leave("abc", 1, now=0.0) is not None
    assert rooms.leave("abc", 1, now=0.0) is None


def test_only_the_host_may_kick() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0)
    rooms.join("abc", "a", now=0.0)
    rooms.join("abc", "b", now=0.0)
    with pytest.raises(NotHostError):
        rooms.kick("abc", by=2, target=3)
    assert rooms.kick("abc", by=1, target=3) == "b"


def test_the_host_hands_its_part_to_a_member_who_may_then_kick() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0)
    rooms.join("abc", "a", now=0.0)
    rooms.join("abc", "b", now=0.0)
    rooms.hand_over("abc", by=1, to=2)
    room = rooms.get("abc")
    assert room is not None
    assert room.host == 2
    with pytest.raises(NotHostError):
        rooms.kick("abc", by=1, target=3)
    assert rooms.kick("abc", by=2, target=3) == "b"


def test_only_the_current_host_may_hand_its_part_over() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0)
    rooms.join("abc", "a", now=0.0)
    rooms.join("abc", "b", now=0.0)
    with pytest.raises(NotHostError):
        rooms.hand_over("abc", by=3, to=3)
    rooms.hand_over("abc", by=1, to=2)
    # The creator has no lasting claim: once it handed over, it cannot take joins back.
    with pytest.raises(NotHostError):
        rooms.hand_over("abc", by=1, to=1)
    rooms.hand_over("abc", by=2, to=1)
    room = rooms.get("abc")
    assert room is not None
    assert room.host == 1


def test_the_host_part_goes_only_to_a_member_present() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0)
    rooms.join("abc", "a", now=0.0)
    rooms.leave("abc", 2, now=1.0)
    with pytest.raises(NoSuchMemberError):
        rooms.hand_over("abc", by=1, to=2)
    room = rooms.get("abc")
    assert room is not None
    assert room.host == 1


def test_kicking_or_sending_to_an_unknown_id_is_refused() -> None:
    rooms = make_rooms()
    rooms.create("abc", "host", now=0.0)
    with pytest.raises(NoSuchMemberError):
        rooms.kick("abc", by=1, target=9)
    with pytest.raises(NoSuchMemberError):
        rooms.member("abc", 9)


def test_a_room_holds_a_few_unanswered_joiners_and_the_next_pushes_out_the_oldest() -> None:
    rooms: Rooms[str] = Rooms(max_rooms=10, max_endpoints_per_room=16, max_unanswered=2)
    rooms.create("abc", "host", now=0.0)
    assert rooms.join("abc", "flood 1", now=0.0).evicted is None
    assert rooms.join("abc", "flood 2", now=0.0).evicted is None
    joined = rooms.join("abc", "customer", now=0.0)
    assert joined.evicted == "flood 1"
    assert list(joined.room.members.values()) == ["host", "flood 2", "customer"]
    assert list(joined.room.unanswered.values()) == ["flood 2", "customer"]


def test_a_joiner_the_host_answered_is_never_pushed_out() -> None:
    rooms: Rooms[str] = Rooms(max_rooms=10, max_endpoints_per_room=16, max_unanswered=2)
    rooms.create("abc", "host", now=0.0)
    customer = rooms.join("abc", "customer", now=0.0).id
    assert not rooms.answered("abc", by=99, to=customer)  # only the host's word counts
    assert rooms.answered("abc", by=1, to=customer)
    for i in range(10):
        assert rooms.join("abc", f"flood {i}", now=0.0).evicted != "customer"
    assert "customer" in rooms.member_list("abc")


def test_unanswered_joiners_cannot_fill_a_room() -> None:
    rooms: Rooms[str] = Rooms(max_rooms=10, max_endpoints_per_room=4, max_unanswered=2)
    rooms.create("abc", "host", now=0.0)
    for i in range(50):
        rooms.join("abc", f"flood {i}", now=0.0)
    assert rooms.join("abc", "customer", now=0.0).id > 0  # not RoomFullError
    assert len(rooms.member_list("abc")) == 3


def test_a_member_coming_back_waits_for_the_host_too_but_takes_its_own_place() -> None:
    rooms: Rooms[str] = Rooms(max_rooms=10, max_endpoints_per_room=16, max_unanswered=1)
    rooms.create("abc", "host", now=0.0)
    rooms.join("abc", "bob", now=0.0)
    again = rooms.join("abc", "bob again", now=0.0, wanted=2, token=rooms.token("abc", 2))
    assert (again.replaced, again.evicted) == ("bob", None)
    assert list(again.room.unanswered.values()) == ["bob again"]


def test_a_refused_attempt_is_spent_after_the_fact_and_success_costs_nothing() -> None:
    limiter = RateLimiter(2)
    assert limiter.may("a", now=0.0)
    limiter.spend("a", now=0.0)
    limiter.spend("a", now=0.0)
    limiter.spend("a", now=0.0)  # never below none left
    assert not limiter.may("a", now=0.0)
    assert limiter.may("a", now=30.0)
    assert limiter.may("b", now=0.0)


def test_rate_limiter_allows_a_burst_then_refuses() -> None:
    limiter = RateLimiter(3)
    assert [limiter.allow("1.2.3.4", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("5.6.7.8", now=0.0)


def test_rate_limiter_refills_over_the_minute() -> None:
    limiter = RateLimiter(6)  # one token every 10 s
    for _ in range(6):
        limiter.allow("a", now=0.0)
    assert not limiter.allow("a", now=5.0)
    assert limiter.retry_after("a", now=5.0) == pytest.approx(5.0, abs=0.01)
    assert limiter.allow("a", now=20.0)


def test_rate_limiter_forgets_idle_addresses() -> None:
    limiter = RateLimiter(6, max_tracked=2)
    limiter.allow("a", now=0.0)
    limiter.allow("b", now=0.0)
    limiter.allow("c", now=100.0)  # a and b are full again by now
    assert len(limiter) == 1


def test_rate_limiter_memory_is_capped_under_a_flood() -> None:
    limiter = RateLimiter(6, max_tracked=10)
    for i in range(100):
        limiter.allow(f"10.0.0.{i}", now=0.0)
    assert len(limiter) <= 10


def test_handshake_expires_without_a_first_envelope() -> None:
    live = Liveness(opened_at=100.0, handshake_timeout=2.0, idle_timeout=10.0)
    assert live.next_deadline() == 102.0
    assert live.poll(101.0) is LivenessAction.NOTHING
    assert live.poll(102.0) is LivenessAction.HANDSHAKE_EXPIRED


def test_silence_brings_a_ping_then_expiry() -> None:
    live = Liveness(opened_at=0.0, handshake_timeout=2.0, idle_timeout=10.0)
    live.joined(1.0)
    assert live.next_deadline() == 6.0
    assert live.poll(6.0) is LivenessAction.SEND_PING
    assert live.next_deadline() == 11.0
    assert live.poll(8.0) is LivenessAction.NOTHING
    assert live.poll(11.0) is LivenessAction.IDLE_EXPIRED


def test_a_pong_or_message_restarts_the_idle_clock() -> None:
    live = Liveness(opened_at=0.0, handshake_timeout=2.0, idle_timeout=10.0)
    live.joined(0.0)
    assert live.poll(5.0) is LivenessAction.SEND_PING
    live.heard(7.0)
    assert live.poll(11.0) is LivenessAction.NOTHING
    assert live.next_deadline() == 12.0


def test_paused_reading_is_not_idleness() -> None:
    live = Liveness(opened_at=0.0, handshake_timeout=2.0, idle_timeout=10.0)
    live.joined(0.0)
    live.pause()
    assert live.next_deadline() == math.inf
    assert live.poll(100.0) is LivenessAction.NOTHING
    live.resume(100.0)
    assert live.next_deadline() == 105.0


def test_a_joiner_the_host_does_not_answer_in_time_expires() -> None:
    live = Liveness(opened_at=100.0, handshake_timeout=2.0, idle_timeout=60.0)
    live.joined(100.5)
    live.await_answer(110.5)
    assert live.next_deadline() == 110.5
    assert live.poll(110.5) is LivenessAction.ANSWER_EXPIRED
    answered = Liveness(opened_at=100.0, handshake_timeout=2.0, idle_timeout=60.0)
    answered.joined(100.5)
    answered.await_answer(110.5)
    answered.answered()
    assert answered.poll(110.5) is LivenessAction.NOTHING
