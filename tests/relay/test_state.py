"""Endpoint life, liveness states and quotas: plain values, no network, no clock."""

from __future__ import annotations

import math

import pytest

from relay._liveness import Liveness, LivenessAction, LivenessState
from relay._quotas import AddressQuota, BufferBudget
from relay._state import EndpointLife, EndpointState, InvalidTransitionError, LifeEvent


def test_an_endpoint_leaves_its_room_on_the_first_edge_out_only() -> None:
    life = EndpointLife()
    assert not life.advance(LifeEvent.ENTERED)
    assert life.state is EndpointState.IN_ROOM
    assert life.advance(LifeEvent.CLOSE_STARTED)
    assert (life.state, life.open) == (EndpointState.CLOSING, False)
    assert not life.advance(LifeEvent.DISCONNECTED)
    assert (life.state, life.open) == (EndpointState.GONE, False)


def test_a_vanished_member_leaves_its_room() -> None:
    life = EndpointLife()
    life.advance(LifeEvent.ENTERED)
    assert life.advance(LifeEvent.DISCONNECTED)


def test_an_endpoint_that_never_entered_leaves_no_room() -> None:
    life = EndpointLife()
    assert not life.advance(LifeEvent.CLOSE_STARTED)
    assert not life.advance(LifeEvent.DISCONNECTED)


@pytest.mark.parametrize(
    "path",
    [
        [LifeEvent.ENTERED, LifeEvent.ENTERED],
        [LifeEvent.CLOSE_STARTED, LifeEvent.CLOSE_STARTED],
        [LifeEvent.CLOSE_STARTED, LifeEvent.ENTERED],
        [LifeEvent.DISCONNECTED, LifeEvent.DISCONNECTED],
        [LifeEvent.DISCONNECTED, LifeEvent.ENTERED],
    ],
)
def test_edges_not_in_the_table_raise(path: list[LifeEvent]) -> None:
    life = EndpointLife()
    for event in path[:-1]:
        life.advance(event)
    with pytest.raises(InvalidTransitionError):
        life.advance(path[-1])


def test_a_lone_room_creator_is_closed_at_its_pairing_deadline() -> None:
    live = Liveness(opened_at=0.0, handshake_timeout=2.0, idle_timeout=100.0)
    live.joined(1.0)
    live.await_partner(31.0)
    for t in (11.0, 21.0):  # pings and pongs keep it alive, but not past 31
        assert live.poll(t) in (LivenessAction.SEND_PING, LivenessAction.NOTHING)
        live.heard(t)
    assert live.next_deadline() == 31.0
    assert live.poll(31.0) is LivenessAction.PAIRING_EXPIRED


def test_a_paired_room_creator_has_no_pairing_deadline() -> None:
    live = Liveness(opened_at=0.0, handshake_timeout=2.0, idle_timeout=100.0)
    live.joined(0.0)
    live.await_partner(30.0)
    live.paired()
    assert live.poll(30.0) is LivenessAction.NOTHING
    assert live.next_deadline() == 50.0


def test_the_pairing_deadline_holds_while_paused() -> None:
    live = Liveness(opened_at=0.0, handshake_timeout=2.0, idle_timeout=100.0)
    live.joined(0.0)
    live.await_partner(30.0)
    live.pause()
    assert live.state is LivenessState.PAUSED
    assert live.next_deadline() == 30.0
    assert live.poll(30.0) is LivenessAction.PAIRING_EXPIRED


def test_liveness_states_follow_ping_and_pong() -> None:
    live = Liveness(opened_at=0.0, handshake_timeout=2.0, idle_timeout=10.0)
    assert live.state is LivenessState.AWAITING_HELLO
    live.joined(0.0)
    assert [live.state] == [LivenessState.ATTENTIVE]
    assert live.poll(5.0) is LivenessAction.SEND_PING
    assert [live.state] == [LivenessState.PINGED]
    live.heard(6.0)
    assert [live.state] == [LivenessState.ATTENTIVE]
    live.pause()
    assert live.next_deadline() == math.inf
    live.resume(50.0)
    assert [live.state] == [LivenessState.ATTENTIVE]


def test_liveness_edges_not_in_the_table_raise() -> None:
    live = Liveness(opened_at=0.0, handshake_timeout=2.0, idle_timeout=10.0)
    with pytest.raises(InvalidTransitionError):
        live.pause()  # nothing to pause before the endpoint is in a room
    live.joined(0.0)
    with pytest.raises(InvalidTransitionError):
        live.joined(1.0)
    with pytest.raises(InvalidTransitionError):
        live.resume(1.0)


def test_an_address_quota_refuses_past_its_limit_and_forgets_idle_addresses() -> None:
    quota = AddressQuota(2)
    assert quota.take("a")
    assert quota.take("a")
    assert not quota.take("a")
    assert quota.take("b")
    quota.give_back("a")
    assert quota.take("a")
    for _ in range(2):
        quota.give_back("a")
    quota.give_back("b")
    assert len(quota) == 0


def test_a_receiver_within_its_budget_takes_more() -> None:
    budget = BufferBudget(per_receiver_bytes=100, total_bytes=1000)
    assert budget.admits(50, 50)
    assert not budget.admits(50, 51)


def test_an_empty_receiver_always_takes_one_message() -> None:
    budget = BufferBudget(per_receiver_bytes=100, total_bytes=1000)
    budget.charge(5000)
    assert budget.admits(0, 10_000)


def test_the_total_budget_stops_every_receiver_that_holds_something() -> None:
    budget = BufferBudget(per_receiver_bytes=100, total_bytes=1000)
    budget.charge(990)
    assert not budget.admits(10, 20)
    budget.release(500)
    assert budget.admits(10, 20)
