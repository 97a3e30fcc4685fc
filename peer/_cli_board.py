"""Typed lines to the session they are for: one session's face, or a rep's several (SPEC M3).

The :class:`Board` holds every open session's :class:`~peer._cli_face.Face`
by number and which one is current; :func:`read_lines` hands each typed
line to the current face (or to the rep's session commands first), and
:func:`on_signals` makes Ctrl-C leave every session. With more than one
session open, each face's lines are prefixed with its number, ``[2] ...``.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

import trio

from codec import DEFAULT_POLICY
from peer._cli_face import COMMANDS, answer, command, left_words, open_face, run_face, say
from peer._errors import PeerError
from peer._nursery import open_task_nursery
from peer._terminal import open_line_input

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from codec import Policy
    from peer._cli_face import Face
    from peer._desk import Desk
    from peer._file_commands import FileDesk
    from peer._session import Session
    from peer._terminal import LineInput

__all__ = ["Board", "drive_one", "on_signals", "read_lines"]


class Board:
    def __init__(self, count: Callable[[], int] | None = None) -> None:
        self.faces: dict[int, Face] = {}
        #: The session typed lines go to.
        self.current: int | None = None
        #: The exit status of the last session to end.
        self.outcome = 0
        self._count = count or (lambda: len(self.faces))

    def say_for(self, number: int) -> Callable[[str], None]:
        """Print for session *number*: prefixed with it while several sessions are open."""

        def out(text: str) -> None:
            say(f"[{number}] {text}" if self._count() > 1 else text)

        return out

    def add(self, number: int, face: Face) -> None:
        self.faces[number] = face
        self.current = number

    def remove(self, number: int) -> None:
        face = self.faces.pop(number)
        self.outcome = face.outcome
        if self.current == number:
            self.current = max(self.faces, default=None)
            if self.current is not None:
                say(f"* Typed lines go to session {self.current} now (/sessions lists them)")

    def face(self) -> Face | None:
        return None if self.current is None else self.faces.get(self.current)

    def names(self) -> tuple[str, ...]:
        face = self.face()
        return () if face is None else face.names


async def read_lines(
    board: Board, lines: LineInput, extra: Callable[[str, str], Awaitable[bool]] | None = None
) -> None:
    """Hand typed lines to the current session until input ends (which means leave)."""
    while (line := await lines.read_line()) is not None:
        face = board.face()
        if face is None:
            return
        if await answer(face, line, lines.arrived):
            continue
        if (stray := face.questions.stray(line, lines.arrived, trio.current_time())) is not None:
            face.say(stray)
            face.questions.remind()
            continue
        word, _, rest = line.partition(" ")
        if extra is not None:
            try:
                if await extra(word, rest.strip()):
                    continue
            except PeerError as e:
                say(f"! {e}")  # about no one session: no number
                continue
        if not await command(face, line, lines):
            face.stop()
            continue
        if not line.lstrip().startswith("/"):
            face.questions.remind()  # the line was chat, not the answer
        face.questions.refresh(trio.current_time())
    for face in list(board.faces.values()):
        await face.session.leave()
        face.stop()


async def on_signals(board: Board) -> None:
    """Ctrl-C or SIGTERM: leave every session (the controlling rep's leaving ends it)."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            for face in list(board.faces.values()):
                await face.session.leave()
                face.say(left_words(face.session))
                face.stop()
            return


async def drive_one(
    session: Session,
    relays: list[str],
    desk: Desk | None = None,
    file_desk: FileDesk | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> int:
    """Run one session's face until it ends or the person leaves; the exit status."""
    board = Board()
    face = open_face(session, relays, desk, file_desk, policy=policy)
    if desk is not None:
        desk.watch(face.sharing, file_desk)
    board.add(1, face)
    async with (
        open_line_input(COMMANDS, board.names) as lines,
        open_task_nursery() as nursery,
    ):
        nursery.start_soon(read_lines, board, lines)
        nursery.start_soon(on_signals, board)
        outcome = await run_face(board.faces[1])
        nursery.cancel_scope.cancel()
    return outcome
