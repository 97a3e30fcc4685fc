"""Rooms and routing: what the relay does with each endpoint's messages.

Theory of operation
-------------------
The :class:`Router` sits between endpoints (``relay._endpoint``) and the
pure bookkeeping: rooms (``relay._rooms``), per-address quotas and rate
limits (``relay._quotas``, ``relay._ratelimit``), the buffer budget and
liveness. Each limit has its one place here:

* CreateRoom: the address's room-creation rate, then its open-room quota,
  then the relay's room cap; the room waits ``pairing_timeout`` for a joiner.
* JoinRoom: the address's budget of refused joins (no such room, a full
  room: what a scan of room ids gets; a claim on someone else's endpoint id
  without its rejoin token), then the room's own cap and its cap
  on joiners the host has not answered (``relay._rooms``), who are closed
  after ``join_answer_timeout``. A join that gets in costs nothing, so a
  flood of joins into a room, answered or not, neither fills it nor keeps a
  real customer out, even one behind the flood's own address; guesses at
  the code inside a room are the host's to count (its failure budget).
* Send: forwarded without decoding the payload (``codec.split_send``); if
  the receiver may not queue it (its own budget, or the relay's total), the
  sender's reader waits, and its idle clock is paused meanwhile.

One clock task serves every endpoint's deadlines: endpoints sit in a heap
keyed by the time the clock will next look at them; a deadline that moved
later (the endpoint was heard from) is simply looked at and re-filed, so
hearing from an endpoint costs no heap work.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
from typing import TYPE_CHECKING

import trio

from codec import (
    CreateRoom,
    HandOver,
    JoinRoom,
    Kick,
    Limits,
    MemberJoined,
    MemberLeft,
    ProtocolError,
    RelayRejected,
    Send,
    Welcome,
    decode_client_envelope,
    delivered_prefix,
    split_send,
)
from relay._errors import (
    AlreadyJoinedError,
    NoSuchMemberError,
    NotJoinedError,
    RateLimitedError,
    RejectedError,
    TooManyRoomsError,
)
from relay._liveness import LivenessAction
from relay._quotas import AddressQuota, BufferBudget
from relay._ratelimit import RateLimiter
from relay._rooms import Rooms
from relay._websocket import CloseCode, Opcode, frame_header

if TYPE_CHECKING:
    from codec import ClientEnvelope
    from relay._endpoint import Endpoint
    from relay._metrics import RelayMetrics
    from relay._settings import RelaySettings

__all__ = ["Router"]

logger = logging.getLogger("helpline.relay")

#: Delivered heads the router keeps (about 100 bytes each).
DELIVERED_HEADS_KEPT = 1024


class Router:
    def __init__(self, settings: RelaySettings, metrics: RelayMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.budget = BufferBudget(
            per_receiver_bytes=settings.receiver_buffer_bytes,
            total_bytes=settings.total_buffer_bytes,
        )
        self._rooms: Rooms[Endpoint] = Rooms(
            max_rooms=settings.max_rooms,
            max_endpoints_per_room=settings.max_endpoints_per_room,
            max_unanswered=settings.max_unanswered_joins,
        )
        self._limits = Limits(max_envelope_bytes=settings.max_message_bytes)
        self._failed_joins = RateLimiter(settings.failed_joins_per_minute)
        self._creations = RateLimiter(settings.rooms_per_minute)
        self._rooms_held = AddressQuota(settings.max_rooms_per_address)
        self._room_creator: dict[str, str] = {}
        self._alarms: list[tuple[float, int, Endpoint]] = []
        self._alarm_order = itertools.count()
        self._alarm_lot = trio.lowlevel.ParkingLot()
        #: Delivered heads by (sender, payload length): ids are small numbers and
        #: padded payloads come in few sizes, so most messages find theirs here.
        self._heads: dict[tuple[int, int], bytes] = {}

    def __len__(self) -> int:
        return len(self._rooms)

    # -- messages (EndpointHooks) -----------------------------------------------

    async def message(self, endpoint: Endpoint, data: bytes | bytearray, now: float) -> None:
        if endpoint.id is not None:
            split = split_send(data)
            if split is not None:
                await self._forward(endpoint, split[0], memoryview(data)[split[1] :])
                return
        try:
            envelope = decode_client_envelope(bytes(data), self._limits)
        except ProtocolError as exc:
            endpoint.reject(RelayRejected(exc.reason, str(exc), True), CloseCode.PROTOCOL_ERROR)
            return
        try:
            await self._handle(endpoint, envelope, now)
        except RejectedError as exc:
            endpoint.reject(RelayRejected(exc.reason, str(exc), exc.fatal))

    async def _handle(self, endpoint: Endpoint, envelope: ClientEnvelope, now: float) -> None:
        if endpoint.id is None:
            self._enter(endpoint, envelope, now)
            return
        match envelope:
            case Send(to, payload):
                # Not in the canonical form split_send reads; same outcome.
                await self._forward(endpoint, to, memoryview(payload))
            case Kick(victim_id):
                victim = self._rooms.kick(endpoint.room_id, endpoint.id, victim_id)
                victim.reject(
                    RelayRejected("kicked", "removed by the session host", True), flush=True
                )
            case HandOver(to):
                self._rooms.hand_over(endpoint.room_id, endpoint.id, to)
                logger.info("%s handed the host's part to endpoint %d", endpoint, to)
            case CreateRoom() | JoinRoom():
                raise AlreadyJoinedError(f"you are already in session {endpoint.room_id}")

    async def _forward(self, endpoint: Endpoint, to: int, payload: memoryview) -> None:
        assert endpoint.id is not None
        try:
            target = self._rooms.member(endpoint.room_id, to)
        except NoSuchMemberError as exc:
            # Usually someone who just left, with messages still on the way:
            # the sender learns it, the log need not (MemberLeft said it).
            ordinary = self._rooms.has_had(endpoint.room_id, to)
            endpoint.reject(RelayRejected(exc.reason, str(exc), exc.fatal), quiet=ordinary)
            return
        if target.unanswered and self._rooms.answered(endpoint.room_id, endpoint.id, to):
            target.unanswered = False
            target.liveness.answered()
        head = self._heads.get((endpoint.id, len(payload)))
        if head is None:
            head = self._delivered_head(endpoint.id, len(payload))
        size = len(head) + len(payload)
        if not target.admits(size):
            endpoint.liveness.pause()
            self.metrics.senders_waiting += 1
            try:
                while endpoint.life.open and not target.admits(size):
                    await target.wait_for_space(size)
            finally:
                self.metrics.senders_waiting -= 1
                endpoint.liveness.resume(trio.current_time())
                self.schedule(endpoint)
        if endpoint.life.open:
            target.forward(head, payload)
            self.metrics.forwarded(len(payload))

    def _delivered_head(self, sender: int, payload_length: int) -> bytes:
        """The frame header and envelope prefix of a Delivered, kept for the next like it."""
        prefix = delivered_prefix(sender, payload_length)
        head = frame_header(Opcode.BINARY, len(prefix) + payload_length) + prefix
        if len(self._heads) >= DELIVERED_HEADS_KEPT:
            self._heads.clear()
        self._heads[sender, payload_length] = head
        return head

    def _enter(self, endpoint: Endpoint, envelope: ClientEnvelope, now: float) -> None:
        address = endpoint.address
        match envelope:
            case CreateRoom():
                if not self._creations.allow(address, now):
                    wait = self._creations.retry_after(address, now)
                    raise RateLimitedError(
                        f"too many sessions started from your address; try again in {wait:.0f} s"
                    )
                if self._rooms_held.held(address) >= self._rooms_held.limit:
                    raise TooManyRoomsError(
                        f"your address already has {self._rooms_held.limit} sessions open on"
                        " this relay; end one first"
                    )
                endpoint_id = self._rooms.create(
                    endpoint.room_id,
                    endpoint,
                    now,
                    wanted=envelope.id,
                    floor=envelope.floor,
                    token=envelope.token,
                )
                self._rooms_held.take(address)
                self._room_creator[endpoint.room_id] = address
                endpoint.joined(endpoint_id, now)
                endpoint.liveness.await_partner(now + self.settings.pairing_timeout)
                token = self._rooms.token(endpoint.room_id, endpoint_id)
                endpoint.send_envelope(Welcome(endpoint_id, endpoint_id, (), token))
                logger.info("room %s opened by %s", endpoint.room_id, address)
            case JoinRoom():
                if not self._failed_joins.may(address, now):
                    wait = self._failed_joins.retry_after(address, now)
                    raise RateLimitedError(
                        f"too many refused join attempts from your address; try again in"
                        f" {wait:.0f} s"
                    )
                try:
                    joined = self._rooms.join(
                        endpoint.room_id, endpoint, now, wanted=envelope.id, token=envelope.token
                    )
                except RejectedError:
                    # A claim on someone else's place (a wrong rejoin token) too.
                    self._failed_joins.spend(address, now)
                    raise
                if joined.contested:
                    # Taking over a place claimed first after a restart: allowed for a
                    # while, but a stranger doing it again and again pays for each.
                    self._failed_joins.spend(address, now)
                endpoint_id, room = joined.id, joined.room
                if joined.replaced is not None:
                    # Its member came back on a new connection (SPEC X3).
                    joined.replaced.reject(
                        RelayRejected("replaced", "your place was taken by a new connection", True)
                    )
                if joined.evicted is not None:
                    self._evict(joined.evicted, room.others(endpoint_id))
                endpoint.joined(endpoint_id, now)
                if endpoint_id in room.unanswered:
                    endpoint.unanswered = True
                    endpoint.liveness.await_answer(now + self.settings.join_answer_timeout)
                present = tuple(i for i in room.members if i != endpoint_id)
                token = self._rooms.token(endpoint.room_id, endpoint_id)
                endpoint.send_envelope(Welcome(endpoint_id, room.host, present, token))
                notice = MemberJoined(endpoint_id)
                for other in room.others(endpoint_id):
                    other.liveness.paired()
                    other.send_envelope(notice)
                logger.info("%s joined from %s", endpoint, address)
            case _:
                raise NotJoinedError("send CreateRoom or JoinRoom first")
        self.schedule(endpoint)
        self.metrics.endpoints_open += 1
        self.metrics.rooms_open = len(self._rooms)

    def _evict(self, joiner: Endpoint, others: list[Endpoint]) -> None:
        """Send away the unanswered *joiner* the room no longer holds a place for."""
        joiner.reject(
            RelayRejected(
                "crowded",
                "too many people are joining this session at once; try again in a moment",
                True,
            )
        )
        assert joiner.id is not None
        notice = MemberLeft(joiner.id)
        for other in others:
            other.send_envelope(notice)

    def left(self, endpoint: Endpoint) -> None:
        assert endpoint.id is not None
        departure = self._rooms.leave(endpoint.room_id, endpoint.id, trio.current_time(), endpoint)
        self.metrics.endpoints_open -= 1
        if departure is None:
            return
        notice = MemberLeft(departure.id)
        for other in departure.remaining:
            other.send_envelope(notice)
        if departure.closed_after is not None:
            self._rooms_held.give_back(self._room_creator.pop(departure.room))
            logger.info(
                "%s left; room %s closed after %.0f s",
                endpoint,
                departure.room,
                departure.closed_after,
            )
        else:
            logger.info("%s left", endpoint)
        self.metrics.rooms_open = len(self._rooms)

    # -- the clock ------------------------------------------------------------

    def schedule(self, endpoint: Endpoint) -> None:
        """Make sure the clock looks at *endpoint* by its next deadline."""
        deadline = endpoint.liveness.next_deadline()
        if len(self._alarms) > 2 * self.metrics.connections_open + 64:
            # Entries of endpoints long gone wait for their time otherwise.
            self._alarms = [a for a in self._alarms if a[2].life.open]
            heapq.heapify(self._alarms)
        if deadline < endpoint.alarm_at:
            endpoint.alarm_at = deadline
            heapq.heappush(self._alarms, (deadline, next(self._alarm_order), endpoint))
            if self._alarms[0][2] is endpoint:
                self._alarm_lot.unpark_all()

    async def run_clock(self) -> None:
        """Ping, expire and close endpoints on time; runs until cancelled."""
        while True:
            first = self._alarms[0][0] if self._alarms else math.inf
            with trio.move_on_at(first):
                await self._alarm_lot.park()
            now = trio.current_time()
            while self._alarms and self._alarms[0][0] <= now:
                _, _, endpoint = heapq.heappop(self._alarms)
                endpoint.alarm_at = math.inf
                if endpoint.life.open:
                    self._on_alarm(endpoint, now)
                    self.schedule(endpoint)

    def _on_alarm(self, endpoint: Endpoint, now: float) -> None:
        settings = self.settings
        match endpoint.liveness.poll(now):
            case LivenessAction.SEND_PING:
                endpoint.ping(next(self._alarm_order).to_bytes(8, "big"))
            case LivenessAction.HANDSHAKE_EXPIRED:
                endpoint.reject(
                    RelayRejected(
                        "handshake-timeout",
                        f"no CreateRoom or JoinRoom within {settings.handshake_timeout} s"
                        " of connecting",
                        True,
                    )
                )
            case LivenessAction.IDLE_EXPIRED:
                endpoint.reject(
                    RelayRejected(
                        "idle-timeout", f"nothing heard for {settings.idle_timeout} s", True
                    )
                )
            case LivenessAction.PAIRING_EXPIRED:
                endpoint.reject(
                    RelayRejected(
                        "pairing-timeout",
                        f"nobody joined within {settings.pairing_timeout:.0f} s;"
                        " start a new session when the customer is ready",
                        True,
                    )
                )
            case LivenessAction.ANSWER_EXPIRED:
                endpoint.reject(
                    RelayRejected(
                        "unanswered",
                        f"the session's host did not answer within"
                        f" {settings.join_answer_timeout:g} s; check the session number",
                        True,
                    )
                )
            case LivenessAction.NOTHING:
                pass
