"""The terminal prompt: prompt_toolkit in a thread of its own beside trio.

prompt_toolkit runs on asyncio, so it gets a thread and an event loop of its
own; the session stays on trio. Lines cross to trio through a memory
channel, and everything printed meanwhile goes through prompt_toolkit's
stdout proxy, which is safe to write from any thread and draws the output
above the line being typed. While the prompt runs it owns the terminal: the
transfer bars of :data:`peer._screen.SCREEN` are drawn as its bottom toolbar.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING

import trio
from prompt_toolkit import PromptSession
from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.styles import Style

from peer._screen import SCREEN

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from prompt_toolkit.buffer import Buffer
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

__all__ = ["INTERRUPT", "PromptInput"]

#: What a terminal's Ctrl-C reads as: the person wants out, as with /quit.
INTERRUPT = "/quit"
PROMPT = "> "
#: Typed lines trio has not taken yet (it takes them at once unless it is ending).
LINE_BUFFER = 16
#: How long a closing prompt thread may take to give the terminal back.
STOP_TIMEOUT = 5.0
#: The bars in the toolbar look like the lines above them, not like a reversed status bar.
_STYLE = Style.from_dict({"bottom-toolbar": "noreverse"})


class _Completions(Completer):
    """Commands at the start of a line; member names after ``/to`` and anywhere else."""

    def __init__(self, commands: Sequence[str], names: Callable[[], Sequence[str]]) -> None:
        self._commands = commands
        self._names = names

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        before = document.text_before_cursor
        if before.startswith("/") and " " not in before:
            for command in self._commands:
                if command.startswith(before):
                    yield Completion(command + " ", -len(before), display=command)
            return
        typed = before.removeprefix("/to ") if before.startswith("/to ") else _last_word(before)
        for name in self._names():
            if typed and name.casefold().startswith(typed.casefold()):
                yield Completion(name + " ", -len(typed), display=name)


def _last_word(text: str) -> str:
    return text.rsplit(" ", 1)[-1]


class PromptInput:
    interactive = True
    arrived = 0.0

    def __init__(self, commands: Sequence[str], names: Callable[[], Sequence[str]]) -> None:
        self._completer = _Completions(commands, names)
        self._lines_in, self._lines = trio.open_memory_channel[tuple[str, float]](LINE_BUFFER)
        self._token = trio.lowlevel.current_trio_token()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: PromptSession[str] | None = None
        self._stopping = False
        #: When the first character of the line being typed came (perf_counter), if any.
        self._begun: float | None = None
        self._thread = threading.Thread(target=self._main, name="helpline-prompt", daemon=True)

    async def read_line(self) -> str | None:
        try:
            line, self.arrived = await self._lines.receive()
        except trio.EndOfChannel:
            return None
        return line

    def start(self) -> None:
        self._thread.start()

    async def stop(self) -> None:
        """End the prompt and wait until the terminal is given back."""
        self._stopping = True
        self._lines.close()
        loop, session = self._loop, self._session
        if loop is not None and session is not None:
            loop.call_soon_threadsafe(_exit_app, session)
        with trio.move_on_after(STOP_TIMEOUT):
            await trio.to_thread.run_sync(self._thread.join, abandon_on_cancel=True)

    # The prompt's own thread -------------------------------------------------------

    def _main(self) -> None:
        try:
            asyncio.run(self._prompt_loop())
        finally:
            self._deliver(None)

    async def _prompt_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        session = self._session = PromptSession(
            history=InMemoryHistory(),
            completer=self._completer,
            complete_while_typing=False,
            style=_STYLE,
        )
        loop = self._loop
        session.default_buffer.on_text_changed += self._typed

        def draw_bars() -> None:
            # No toolbar at all without bars: an empty one would still take a line.
            bars = SCREEN.bars()
            session.bottom_toolbar = bars or None
            session.app.invalidate()

        # The prompt owns the terminal while it runs: the transfer bars are its
        # toolbar, below the line being typed, and printed lines go above both.
        SCREEN.hand_over(lambda: loop.call_soon_threadsafe(draw_bars))
        try:
            # Not raw: any escape sequence that got this far is shown, not obeyed.
            with patch_stdout():
                draw_bars()
                while not self._stopping:
                    try:
                        line = await session.prompt_async(PROMPT)
                    except KeyboardInterrupt:
                        line = INTERRUPT
                    except EOFError:
                        return
                    begun, self._begun = self._begun, None
                    if self._stopping or not self._deliver(line, begun):
                        return
        finally:
            SCREEN.take_back()

    def _typed(self, buffer: Buffer) -> None:
        if not buffer.text:
            self._begun = None
        elif self._begun is None:
            self._begun = time.perf_counter()

    def _deliver(self, line: str | None, begun: float | None = None) -> bool:
        """Hand *line* to trio and wait until it is taken; False once trio has gone."""
        try:
            trio.from_thread.run(self._put, line, begun, trio_token=self._token)
        except (trio.RunFinishedError, trio.Cancelled, trio.BrokenResourceError):
            return False
        return True

    async def _put(self, line: str | None, begun: float | None) -> None:
        if line is None:
            await self._lines_in.aclose()
            return
        # Stamped when its first character was typed, on trio's clock: a "y" typed
        # for one question and sent with Enter after another replaced it answers
        # neither (peer._questions).
        typing = 0.0 if begun is None else max(0.0, time.perf_counter() - begun)
        await self._lines_in.send((line, trio.current_time() - typing))


def _exit_app(session: PromptSession[str]) -> None:
    if session.app.is_running:
        # The program is ending, not taking a line: leave no "> " behind for the shell.
        session.app.erase_when_done = True
        session.app.exit(exception=EOFError())
