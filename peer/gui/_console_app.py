"""``helpline console``: the rep's window, its start dialog, and a session per tab.

:func:`run_console` shows the window and the start dialog (prefilled from
the config, so one click starts), and returns once the window is closed.
Each session runs in a task of its own that holds the session open for as
long as its tab runs (:class:`peer.gui._rep.RepFace`); with no relay
given, one relay is started on this machine for all of them, as
``helpline start`` does.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

import trio

from codec import HelplineError
from peer._nursery import open_task_nursery
from peer._open import open_hosted_session, open_joined_session
from peer._server_process import open_embedded_relay
from peer.gui._bridge import Bridge
from peer.gui._console_window import ConsoleWindow
from peer.gui._customer import join_target
from peer.gui._rep import RepFace
from peer.gui._start_dialog import StartChoice, StartDialog

if TYPE_CHECKING:
    from codec import Policy, SessionTimings
    from peer._config import PeerConfig, SmtpConfig
    from peer._file_settings import FileSettings

__all__ = ["Console", "run_console"]

log = logging.getLogger("helpline.peer.gui")


async def run_console(
    name: str,
    config: PeerConfig,
    policy: Policy,
    files: FileSettings,
    relay_timeout: float,
    *,
    window: ConsoleWindow | None = None,
    relay: str | None = None,
    timings: SessionTimings | None = None,
) -> int:
    """Show the console until it is closed (ending its sessions first, once confirmed)."""
    window = window or ConsoleWindow(policy.max_sessions)
    closed = trio.Event()
    token = trio.lowlevel.current_trio_token()
    window.on_closed = lambda: token.run_sync_soon(closed.set)
    try:
        async with AsyncExitStack() as stack, open_task_nursery() as nursery:
            bridge = Bridge(nursery, lambda text: window.statusBar().showMessage(text, 15000))
            console = Console(window, bridge, nursery, stack, name, config, policy, files)
            console.relay_timeout = relay_timeout
            console.relay = relay or config.relay
            console.timings = timings
            window.on_new_session = console.ask_start
            window.on_end_all = lambda: bridge.call(console.end_all)
            window.console = console  # type: ignore[attr-defined]  # for tests and screenshots
            window.show()
            console.ask_start()
            await closed.wait()
            nursery.cancel_scope.cancel()
    finally:
        window.on_closed = None  # the window may outlive this trio run
    return 0


class Console:
    def __init__(
        self,
        window: ConsoleWindow,
        bridge: Bridge,
        nursery: trio.Nursery,
        stack: AsyncExitStack,
        name: str,
        config: PeerConfig,
        policy: Policy,
        files: FileSettings,
    ) -> None:
        self.window = window
        self.bridge = bridge
        self._nursery = nursery
        self._stack = stack
        self.name = name
        self.config = config
        self.policy = policy
        self.files = files
        self.relay: str | None = None
        self.relay_timeout = 30.0
        #: The session's deadlines (how long a drop may last: the config's resume_timeout).
        self.timings: SessionTimings | None = None
        self.faces: list[RepFace] = []
        self.start_dialog: StartDialog | None = None
        self._local_relay: str | None = None

    def ask_start(self, error: str = "") -> None:
        """The start dialog, prefilled; Start opens the session in a new tab."""
        if self.start_dialog is not None and self.start_dialog.isVisible():
            self.start_dialog.raise_()
            return
        dialog = StartDialog(
            self.policy,
            lambda choice: self.bridge.call(self.start, choice),
            session_type=self.config.session_type,
            tracking=self.config.tracking,
            name=self.name,
            relay=self.relay,
            parent=self.window,
        )
        if error:
            dialog.show_error(error)
        self.start_dialog = dialog
        dialog.open()  # not exec(): see peer.gui._question

    async def start(self, choice: StartChoice) -> None:
        self._nursery.start_soon(self._run_session, choice)

    async def _relay_for(self, choice: StartChoice) -> str:
        if choice.relay is not None:
            return choice.relay
        if self._local_relay is None:
            self._local_relay = await self._stack.enter_async_context(open_embedded_relay())
            self.window.statusBar().showMessage(
                f"Started a relay on this machine: {self._local_relay}", 15000
            )
        return self._local_relay

    async def _run_session(self, choice: StartChoice) -> None:
        try:
            if choice.assist is not None:
                await self._assist(choice, choice.assist)
                return
            relay = await self._relay_for(choice)
            async with open_hosted_session(
                relay,
                choice.name,
                max_customers=self.policy.max_customers,
                relay_timeout=self.relay_timeout,
                timings=self.timings,
                # The type and tracking code go along with control (M5), for the next record.
                kind=(choice.session_type, choice.tracking),
            ) as session:
                tab = self.window.add_session(f"{session.code.number} · {choice.session_type}")
                await self._run_face(RepFace(session, tab, *self._face_parts(choice)))
        except HelplineError as e:
            log.info("a session did not start: %s", e)
            self.ask_start(f"The session did not start: {e}")
        finally:
            self.window.refresh()

    def _face_parts(
        self, choice: StartChoice
    ) -> tuple[Bridge, Policy, FileSettings, tuple[str, str | None], SmtpConfig | None]:
        kind = (choice.session_type, choice.tracking)
        return self.bridge, self.policy, self.files, kind, self.config.smtp

    async def _run_face(self, face: RepFace) -> None:
        self.faces.append(face)
        await face.run()

    async def _assist(self, choice: StartChoice, code: str) -> None:
        """Join another rep's session as an assistant (M4), in a tab of its own."""
        target = join_target(code, choice.relay or self.relay or "")
        async with open_joined_session(
            target,
            choice.name,
            assist=True,
            relay_timeout=self.relay_timeout,
            timings=self.timings,
            max_customers=self.policy.max_customers,
        ) as session:
            tab = self.window.add_session(f"{target.code.number} · assisting")
            await self._run_face(RepFace(session, tab, *self._face_parts(choice)))

    async def end_all(self) -> None:
        """The rep confirmed closing: end every running session, then close."""
        for face in self.faces:
            if not face.tab.over:
                await face.end_now()
        with trio.move_on_after(5):
            for face in self.faces:
                await face.done.wait()
        self.window.close()
