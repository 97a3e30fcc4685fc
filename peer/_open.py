"""Opening a session: host one (the rep) or join one (a customer).

Each ``open_*`` is an async context manager that owns the session's nursery:
the connection, the reader and every task the session starts live inside it
and are cancelled when the block is left, however it is left.
"""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

import trio

from codec import (
    DEFAULT_HANDSHAKE_TIMEOUT,
    DEFAULT_LIMITS,
    DEFAULT_MAX_FAILURES,
    Channel,
    Delivered,
    JoinerHandshake,
    Limits,
    MemberLeft,
    RelayRejected,
    SessionCode,
    WrongCodeError,
    abort_payload,
)
from peer._connection import RelayConnection, open_relay_connection
from peer._errors import RelayRefusedError, SessionLostError
from peer._host import HostSession
from peer._nursery import open_task_nursery
from peer._session import MemberSession

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from codec import JoinTarget

__all__ = ["JOIN_TIMEOUT", "open_hosted_session", "open_joined_session"]

#: How long a joiner waits for the rep's side of the handshake and the roster.
JOIN_TIMEOUT = 20.0
#: Fresh room ids to try when the relay already has a room by that number.
ROOM_ATTEMPTS = 8


@asynccontextmanager
async def open_hosted_session(
    relay: str,
    name: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    max_failures: int = DEFAULT_MAX_FAILURES,
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
) -> AsyncIterator[HostSession]:
    """Create a room with a fresh code and host a session in it."""
    async with AsyncExitStack() as stack:
        conn, code = await _create_room(stack, relay, limits)
        session = HostSession(
            conn,
            name,
            limits,
            relay=relay,
            code=code,
            max_failures=max_failures,
            handshake_timeout=handshake_timeout,
        )
        nursery = await stack.enter_async_context(open_task_nursery())
        nursery.start_soon(session.run)
        try:
            yield session
        finally:
            nursery.cancel_scope.cancel()


async def _create_room(
    stack: AsyncExitStack, relay: str, limits: Limits
) -> tuple[RelayConnection, SessionCode]:
    for _ in range(ROOM_ATTEMPTS):
        code = SessionCode.generate()
        try:
            conn = await stack.enter_async_context(
                open_relay_connection(relay, code.room, create=True, limits=limits)
            )
        except RelayRefusedError as e:
            if e.reason == "room-exists":
                continue
            raise
        return conn, code
    raise RelayRefusedError("the relay has no free session number; try again", reason="busy")


@asynccontextmanager
async def open_joined_session(
    target: JoinTarget, name: str, *, limits: Limits = DEFAULT_LIMITS
) -> AsyncIterator[MemberSession]:
    """Join the session *target* names; raises WrongCodeError on a wrong code."""
    try:
        async with open_relay_connection(
            target.relay, target.code.room, create=False, limits=limits
        ) as conn:
            session = await _handshake(conn, target.code, name, limits)
            async with open_task_nursery() as nursery:
                nursery.start_soon(session.run)
                try:
                    yield session
                finally:
                    nursery.cancel_scope.cancel()
    except RelayRefusedError as e:
        if e.reason == "no-such-room":
            raise RelayRefusedError(
                f"there is no session {target.code.room} on this relay; "
                "check the code with the rep, and that you use the rep's relay",
                reason=e.reason,
            ) from None
        raise


async def _handshake(
    conn: RelayConnection, code: SessionCode, name: str, limits: Limits
) -> MemberSession:
    host = conn.welcome.host
    handshake = JoinerHandshake(code.password)
    await conn.send(host, handshake.start())
    reply = await _reply_from(conn, host)
    try:
        confirmation = handshake.receive(reply)
    except WrongCodeError:
        await conn.send(host, abort_payload())
        raise
    await conn.send(host, confirmation)
    channel = Channel(handshake.keys, conn.id, host, limits)
    session = MemberSession(conn, name, limits, channel)
    await session.send_hello()
    with trio.move_on_after(JOIN_TIMEOUT) as scope:
        await session.wait_for_roster()
    if scope.cancelled_caught or not session.has_roster:
        raise SessionLostError("the rep's side did not let us in; ask the rep to check")
    return session


async def _reply_from(conn: RelayConnection, host: int) -> bytes:
    with trio.move_on_after(JOIN_TIMEOUT):
        while True:
            env = await conn.receive()
            if isinstance(env, Delivered) and env.sender == host:
                return env.payload
            if isinstance(env, MemberLeft) and env.id == host:
                raise SessionLostError("the rep left the session before we could join")
            if isinstance(env, RelayRejected) and env.fatal:
                raise RelayRefusedError(env.message, reason=env.reason)
    raise SessionLostError("the rep's side did not answer; ask the rep to check the session")
