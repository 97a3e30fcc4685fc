"""The rep's program in the terminal: one or several sessions at once (SPEC M3).

``/new [--type TYPE] [--tracking CODE]`` starts another session on the same
relay and prints its code; ``/sessions`` lists the open ones with their
customers; ``/switch N`` picks the one typed lines go to. Each session has
its own face, desk (notes, history record) and file desk; while several are
open, what each prints is prefixed with its number. The program ends when
the last session does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codec import HelplineError, JoinTarget
from peer._cli_board import Board, on_signals, read_lines
from peer._cli_face import COMMANDS, open_face, run_face, say
from peer._desk import RepDesk
from peer._errors import PeerError
from peer._file_commands import open_file_desk
from peer._nursery import open_task_nursery
from peer._open import open_hosted_session
from peer._rep_sessions import RepSession, RepSessions
from peer._terminal import open_line_input

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractAsyncContextManager

    from codec import Policy, SessionTimings
    from peer._config import SmtpConfig
    from peer._file_settings import FileSettings
    from peer._host import HostSession

__all__ = ["SESSIONS_HELP", "run_rep"]

SESSIONS_HELP = """\
  /new [--type TYPE] [--tracking CODE]   start another session (its code is printed)
  /sessions       the open sessions and their customers (* marks where lines go)
  /switch N       send typed lines to session N"""


async def run_rep(
    relay: str,
    shown: list[str],
    name: str,
    kind: tuple[str, str | None],
    *,
    policy: Policy,
    files: FileSettings,
    relay_timeout: float,
    smtp: SmtpConfig | None = None,
    default_type: str | None = None,
    timings: SessionTimings | None = None,
) -> int:
    """Run the rep's sessions, starting with one of *kind*, until the last ends."""

    def opener(kind: tuple[str, str | None]) -> AbstractAsyncContextManager[HostSession]:
        return open_hosted_session(
            relay,
            name,
            max_customers=policy.max_customers,
            relay_timeout=relay_timeout,
            timings=timings,
            kind=kind,
        )

    async def drive(rs: RepSession) -> None:
        out = board.say_for(rs.number)
        _announce(rs, shown, out)
        desk = RepDesk.open(rs.session, rs.kind, out, smtp, policy)
        desk.help += "\n" + SESSIONS_HELP
        try:
            async with open_file_desk(rs.session, files, out) as file_desk:
                face = open_face(rs.session, shown, desk, file_desk, out, policy)
                desk.watch(face.sharing, file_desk)
                board.add(rs.number, face)
                rs.ready.set()
                try:
                    await run_face(face)
                finally:
                    board.remove(rs.number)
        finally:
            desk.close(f"ended by {rs.session.name}")

    async def session_command(word: str, rest: str) -> bool:
        if word == "/new":
            new_kind = policy.start(*_new_args(rest, default_type))
            try:
                rs = await sessions.start(new_kind, drive)
            except PeerError:
                raise
            except HelplineError as e:
                raise PeerError(f"could not start another session: {e}") from None
            await rs.ready.wait()
            say(f"* Session {rs.number} started: typed lines go to it (/switch N picks another)")
        elif word == "/sessions":
            for rs in sessions.sessions:
                mark = "*" if rs.number == board.current else " "
                tracking = f", tracking code {rs.kind[1]}" if rs.kind[1] else ""
                customers = ", ".join(rs.customers()) or "no customer yet"
                say(f"{mark} {rs.number}: {rs.kind[0]}{tracking} ({rs.session.code}): {customers}")
        elif word == "/switch":
            if not rest.isdigit():
                raise PeerError("which session? /switch N (/sessions lists them)")
            board.current = sessions.find(int(rest)).number
            say(f"* Typed lines go to session {board.current} now")
        else:
            return False
        return True

    async with open_task_nursery() as nursery:
        sessions = RepSessions(nursery, opener, max_sessions=policy.max_sessions)
        board = Board(count=lambda: len(sessions))
        async with open_line_input(COMMANDS, board.names) as lines:
            first = await sessions.start(kind, drive)
            await first.ready.wait()
            nursery.start_soon(read_lines, board, lines, session_command)
            nursery.start_soon(on_signals, board)
            await sessions.all_closed.wait()
            nursery.cancel_scope.cancel()
    return board.outcome


def _announce(rs: RepSession, shown: list[str], out: Callable[[str], None]) -> None:
    session, kind = rs.session, rs.kind
    out(f"Session code: {session.code}")
    for url in shown:
        out(f"Join link: {JoinTarget(url, session.code).link}")
    for url in shown:
        out(f"Relay: {url}")
    out(f"Session type: {kind[0]}" + (f", tracking code {kind[1]}" if kind[1] else ""))
    out("Waiting for someone to join…")


def _new_args(rest: str, default_type: str | None) -> tuple[str | None, str | None]:
    """``[--type TYPE] [--tracking CODE]``: the session type and tracking code asked for."""
    words = rest.split()
    chosen: dict[str, str] = {}
    while words:
        flag = words.pop(0)
        if flag not in ("--type", "--tracking") or not words or flag in chosen:
            raise PeerError("usage: /new [--type TYPE] [--tracking CODE]")
        chosen[flag] = words.pop(0)
    return chosen.get("--type", default_type), chosen.get("--tracking")
