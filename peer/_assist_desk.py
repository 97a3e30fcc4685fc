"""An assistant's desk: a record of its own from the moment control comes to it (SPEC M5, I4).

An assistant (``helpline join CODE --assist``) keeps no history while
another rep controls the session. When the controlling rep hands it the
session (``/transfer-control``), it is the controlling rep, and from that
moment its program keeps a record as a rep who started a session does: who
is in the session then and who comes and goes, the chat, the consents, the
transfers, the system information it asks for, its notes, and the notes
prompt at ``/end``. The record goes on if control moves on again, until
this person leaves or the session ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from codec import DEFAULT_POLICY, HostRules
from peer._desk import Desk, RepDesk
from peer._events import ControlChanged

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from codec import Policy
    from peer._config import SmtpConfig
    from peer._events import SessionEvent
    from peer._file_commands import FileDesk
    from peer._session import Session
    from peer._share_cli import Sharing

__all__ = ["TAKEN_OVER", "AssistantDesk", "OpenRepDesk"]

#: The session type recorded when the rep who handed control over did not say it.
TAKEN_OVER = "taken-over"


class OpenRepDesk(Protocol):
    """How a controlling rep's desk is opened: :meth:`RepDesk.open`'s signature."""

    def __call__(
        self,
        session: Session,
        kind: tuple[str, str | None],
        say: Callable[[str], None],
        smtp: SmtpConfig | None = None,
        policy: Policy = DEFAULT_POLICY,
    ) -> RepDesk: ...


class AssistantDesk(Desk):
    """The terminal's and the console's assistant: *on_take_over* hears of the rep's desk."""

    def __init__(
        self,
        session: Session,
        say: Callable[[str], None],
        smtp: SmtpConfig | None = None,
        policy: Policy = DEFAULT_POLICY,
        open_rep: OpenRepDesk = RepDesk.open,
        on_take_over: Callable[[RepDesk], None] | None = None,
    ) -> None:
        self.session = session
        self.smtp = smtp
        self.policy = policy
        self._say = say
        self._open_rep = open_rep
        self._on_take_over = on_take_over
        #: The controlling rep's desk, once control came to this person.
        self.rep: RepDesk | None = None
        self._watched: tuple[Sharing, FileDesk | None] | None = None

    def watch(self, sharing: Sharing, file_desk: FileDesk | None) -> None:
        self._watched = (sharing, file_desk)
        if self.rep is not None:
            self.rep.watch(sharing, file_desk)

    async def observe(self, event: SessionEvent) -> None:
        if isinstance(event, ControlChanged) and event.yours and self.rep is None:
            self._take_over()
        if self.rep is not None:
            await self.rep.observe(event)

    def _take_over(self) -> None:
        rules = self.session.rules
        kind = (rules.kind if isinstance(rules, HostRules) else None) or (TAKEN_OVER, None)
        rep = self._open_rep(self.session, kind, self._say, self.smtp, self.policy)
        self.rep, self.help = rep, rep.help
        for member in self.session.roster():
            if member.id != self.session.id:
                rep.record_present(member.name, member.role.value)
        if self._watched is not None:
            rep.watch(*self._watched)
        if self._on_take_over is not None:
            self._on_take_over(rep)
        if rep.recorder is not None:
            self._say("* You control the session: it is recorded in your history from now on.")

    async def answer(self, line: str) -> bool:
        return self.rep is not None and await self.rep.answer(line)

    async def command(self, word: str, rest: str) -> bool:
        return self.rep is not None and await self.rep.command(word, rest)

    def sent_chat(self, text: str, to: Sequence[str] = ()) -> None:
        if self.rep is not None:
            self.rep.sent_chat(text, to)

    async def before_end(self, read_line: Callable[[], Awaitable[str | None]]) -> None:
        if self.rep is not None:
            await self.rep.before_end(read_line)

    def close(self, how: str) -> None:
        if self.rep is not None:
            self.rep.close(how)
