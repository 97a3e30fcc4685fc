"""Opening a session: host one (the rep) or join one (a customer).

Each ``open_*`` is an async context manager that owns the session's nursery:
the connection, the reader and every task the session starts live inside it
and are cancelled when the block is left, however it is left.
"""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from codec import (
    DEFAULT_HANDSHAKE_TIMEOUT,
    DEFAULT_LIMITS,
    DEFAULT_MAX_FAILURES,
    DEFAULT_MAX_SESSION_FAILURES,
    HostRules,
    Limits,
    MemberRules,
    SessionCode,
    SessionTimings,
    name_problem,
)
from peer._connection import RELAY_TIMEOUT, RelayConnection, open_relay_connection
from peer._errors import InvalidMessageError, RelayRefusedError
from peer._host import HostSession
from peer._nursery import open_task_nursery
from peer._session import MemberSession

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from codec import JoinTarget

__all__ = ["open_hosted_session", "open_joined_session"]

#: Fresh room ids to try when the relay already has a room by that number.
ROOM_ATTEMPTS = 8


@asynccontextmanager
async def open_hosted_session(
    relay: str,
    name: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    max_failures: int = DEFAULT_MAX_FAILURES,
    max_session_failures: int = DEFAULT_MAX_SESSION_FAILURES,
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
    timings: SessionTimings | None = None,
    max_customers: int | None = None,
    relay_timeout: float = RELAY_TIMEOUT,
    kind: tuple[str, str | None] | None = None,
) -> AsyncIterator[HostSession]:
    """Create a room with a fresh code and host a session in it (at most *max_customers*).

    *kind* (type, tracking code) goes along when control moves, for the new rep's record.
    """
    _check_name(name, limits)
    async with AsyncExitStack() as stack:
        conn, code = await _create_room(stack, relay, limits, relay_timeout)
        rules = HostRules(
            conn.id,
            name,
            code,
            limits=limits,
            timings=timings,
            max_failures=max_failures,
            max_session_failures=max_session_failures,
            handshake_timeout=handshake_timeout,
            max_customers=max_customers,
            kind=kind,
        )
        session = HostSession(conn, rules, relay)
        nursery = await stack.enter_async_context(open_task_nursery())
        nursery.start_soon(session.run)
        try:
            yield session
        finally:
            nursery.cancel_scope.cancel()


async def _create_room(
    stack: AsyncExitStack, relay: str, limits: Limits, relay_timeout: float
) -> tuple[RelayConnection, SessionCode]:
    for _ in range(ROOM_ATTEMPTS):
        code = SessionCode.generate()
        try:
            conn = await stack.enter_async_context(
                open_relay_connection(
                    relay, code.room, create=True, limits=limits, relay_timeout=relay_timeout
                )
            )
        except RelayRefusedError as e:
            if e.reason == "room-exists":
                continue
            raise
        return conn, code
    raise RelayRefusedError("the relay has no free session number; try again", reason="busy")


@asynccontextmanager
async def open_joined_session(
    target: JoinTarget,
    name: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    timings: SessionTimings | None = None,
    assist: bool = False,
    relay_timeout: float = RELAY_TIMEOUT,
    on_connected: Callable[[], None] | None = None,
    max_customers: int | None = None,
) -> AsyncIterator[MemberSession]:
    """Join the session *target* names; raises WrongCodeError on a wrong code.

    *on_connected* is called once the relay has let us in, as the code is
    being checked with the rep (a face says so: that can take a moment).
    *max_customers* is the site policy's cap, should control come to us (SPEC M5).
    """
    _check_name(name, limits)
    try:
        async with open_relay_connection(
            target.relay,
            target.code.room,
            create=False,
            limits=limits,
            relay_timeout=relay_timeout,
        ) as conn:
            if on_connected is not None:
                on_connected()
            rules = MemberRules(
                conn.id,
                conn.welcome.host,
                name,
                target.code,
                limits=limits,
                timings=timings,
                assist=assist,
                max_customers=max_customers,
            )
            session = MemberSession(conn, rules, target.relay)
            await session.join()
            async with open_task_nursery() as nursery:
                nursery.start_soon(session.run)
                try:
                    yield session
                finally:
                    nursery.cancel_scope.cancel()
    except RelayRefusedError as e:
        if e.reason == "no-such-room":
            raise RelayRefusedError(
                f"there is no session {target.code.number} on this relay; "
                "check the code with the rep, and that you use the rep's relay",
                reason=e.reason,
            ) from None
        raise


def _check_name(name: str, limits: Limits) -> None:
    if (problem := name_problem(name, max_chars=limits.max_name_chars)) is not None:
        raise InvalidMessageError(problem)
