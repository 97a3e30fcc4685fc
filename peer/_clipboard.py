"""The X11 clipboard as text: read it, own it, and hear when someone else sets it.

X has no clipboard store: the program that copied *owns* the ``CLIPBOARD``
selection and hands the text to whoever asks. :class:`X11Clipboard` keeps
one hidden window on its own connection; :meth:`X11Clipboard.run` answers
other programs' requests for what we own and reports, through XFixes, when
another program takes ownership (someone copied), so the change can be
sent without polling.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

import trio

from codec import MAX_CLIPBOARD_CHARS, is_clean_text
from peer._nursery import open_task_nursery
from peer._x11 import _open_display

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["ClipboardLink", "ClipboardSink", "X11Clipboard", "clean_clipboard"]

log = logging.getLogger("helpline.peer")

#: Seconds to wait for the owner of the clipboard to hand its text over.
READ_TIMEOUT = 2.0
#: Bytes of clipboard text read at the most (the message limit is lower still).
MAX_READ = 4 * 1024 * 1024


class ClipboardSink(Protocol):
    async def run(self) -> None:
        """Serve what we own and watch for copies elsewhere; runs until cancelled."""

    async def wait_copied(self) -> None:
        """Return when another program has put something on the clipboard."""

    def copied_by(self) -> int:
        """A window of the program that made the last copy (0: not known)."""

    async def read(self) -> str | None:
        """The clipboard's text, or None when it holds none."""

    def write(self, text: str) -> None:
        """Own the clipboard with *text*."""

    def close(self) -> None: ...


class X11Clipboard:
    def __init__(self, display: str | None) -> None:
        from Xlib import X
        from Xlib.ext import xfixes

        self._X = X
        self._display = _open_display(display)
        atom = self._display.intern_atom
        self._clipboard, self._utf8 = atom("CLIPBOARD"), atom("UTF8_STRING")
        self._targets, self._text_atom = atom("TARGETS"), atom("TEXT")
        self._incoming = atom("HELPLINE_CLIPBOARD")
        root = self._display.screen().root
        self._window = root.create_window(0, 0, 1, 1, 0, X.CopyFromParent, X.InputOnly)
        self._owned: bytes | None = None
        self._copied_by = 0
        self._copied = trio.Event()
        self._answer: trio.MemorySendChannel[bytes | None] | None = None
        self._display.xfixes_query_version()
        self._display.xfixes_select_selection_input(
            self._window, self._clipboard, xfixes.XFixesSetSelectionOwnerNotifyMask
        )
        # A sub-event: (event type, sub code).
        self._owner_event = tuple(self._display.extension_event.SetSelectionOwnerNotify)
        self._display.flush()

    def close(self) -> None:
        self._display.close()

    def write(self, text: str) -> None:
        self._owned = text.encode("utf-8")
        self._window.set_selection_owner(self._clipboard, self._X.CurrentTime)
        self._display.flush()

    def copied_by(self) -> int:
        return self._copied_by

    async def wait_copied(self) -> None:
        # One waiter: a copy made while nobody waited is kept until the next wait.
        await self._copied.wait()
        self._copied = trio.Event()

    async def read(self) -> str | None:
        if self._owned is not None:
            return self._owned.decode("utf-8")
        send, receive = trio.open_memory_channel[bytes | None](1)
        self._answer = send
        self._window.convert_selection(
            self._clipboard, self._utf8, self._incoming, self._X.CurrentTime
        )
        self._display.flush()
        with trio.move_on_after(READ_TIMEOUT):
            data = await receive.receive()
            return None if data is None else data.decode("utf-8", "replace")
        log.info("the clipboard's owner did not answer in time")
        return None

    async def run(self) -> None:
        display = self._display
        while True:
            while display.pending_events():
                self._handle(display.next_event())
            await trio.lowlevel.wait_readable(display.fileno())

    def _handle(self, event: Any) -> None:
        X = self._X
        if (event.type, getattr(event, "sub_code", None)) == self._owner_event:
            owner = getattr(event.owner, "id", event.owner)
            if owner != self._window.id:
                self._owned = None  # someone else copied; what we held is gone
                self._copied_by = owner or 0
                self._copied.set()
        elif event.type == X.SelectionRequest:
            self._serve(event)
        elif event.type == X.SelectionNotify and self._answer is not None:
            data = None
            if event.property != X.NONE:
                prop = self._window.get_full_property(self._incoming, X.AnyPropertyType, MAX_READ)
                if prop is not None and isinstance(prop.value, bytes):
                    data = prop.value
            self._answer.send_nowait(data)
            self._answer = None

    def _serve(self, request: Any) -> None:
        from Xlib import Xatom
        from Xlib.protocol import event

        X = self._X
        prop = request.property or request.target
        if self._owned is None:
            prop = X.NONE
        elif request.target == self._targets:
            targets = [self._targets, self._utf8, self._text_atom, Xatom.STRING]
            request.requestor.change_property(prop, Xatom.ATOM, 32, targets)
        elif request.target in (self._utf8, self._text_atom, Xatom.STRING):
            data = self._owned
            if request.target == Xatom.STRING:
                data = self._owned.decode("utf-8").encode("latin-1", "replace")
            request.requestor.change_property(prop, request.target, 8, data)
        else:
            prop = X.NONE
        notify = event.SelectionNotify(
            time=request.time,
            requestor=request.requestor,
            selection=request.selection,
            target=request.target,
            property=prop,
        )
        request.requestor.send_event(notify)
        self._display.flush()


def clean_clipboard(text: str) -> str:
    """Clipboard text as the messages carry it: newlines as ``\\n``, no control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(ch for ch in text if is_clean_text(ch, multiline=True))
    return kept[:MAX_CLIPBOARD_CHARS]


class ClipboardLink:
    """One side's clipboard joined to the session for as long as it runs.

    A copy made on this machine is sent while ``allowed()`` says so (it is
    asked again for each copy); text from the other side is written by
    :meth:`receive`, after the caller checked the grant.
    """

    def __init__(
        self,
        clipboard: ClipboardSink,
        send: Callable[[str], Awaitable[None]],
        allowed: Callable[[], bool],
    ) -> None:
        self._clipboard = clipboard
        self._send = send
        self._allowed = allowed
        #: The text last sent or written: seeing it again is our own echo, not a copy.
        self._last: str | None = None

    async def run(self) -> None:
        try:
            async with open_task_nursery() as nursery:
                nursery.start_soon(self._clipboard.run)
                while True:
                    await self._clipboard.wait_copied()
                    owner = self._clipboard.copied_by()
                    text = await self._clipboard.read()
                    if owner != self._clipboard.copied_by():
                        continue  # copied again meanwhile: the text may be another's
                    if text and self._allowed() and clean_clipboard(text) != self._last:
                        self._last = clean_clipboard(text)
                        await self._send(self._last)
        finally:
            self._clipboard.close()

    def copied_by(self) -> int:
        """A window of the program that made the copy being sent (0: not known)."""
        return self._clipboard.copied_by()

    def receive(self, text: str) -> None:
        self._last = text
        self._clipboard.write(text)
