"""``/sysinfo`` on both sides: the rep asks, the customer sees the report and decides.

The rules are :class:`codec.SysinfoAsker` (rep) and :class:`codec.SysinfoGate`
(customer); these classes only move their messages and talk to the person.
The customer is shown the report exactly as it would be sent, then
``Allow? [y/N]``; on the command line it is one of the customer's questions
(:mod:`peer._questions`), and anything but y/yes is no. The rep sees a
report as untrusted text: every value was checked by the decoder and is
shown through :func:`codec.render_report`, which neutralises what a
terminal could act on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import trio

from codec import (
    REFUSED_BY_CUSTOMER,
    Feature,
    ProtocolError,
    Role,
    SysinfoAsk,
    SysinfoAsker,
    SysinfoGate,
    SysinfoRefused,
    SysinfoReport,
    SysinfoRequest,
    render_report,
)
from peer._errors import NotAllowedError
from peer._questions import Question
from peer._sysinfo import collect_report

if TYPE_CHECKING:
    from collections.abc import Callable

    from codec import Member, Policy, SysinfoSection
    from peer._history import Recorder
    from peer._questions import Questions
    from peer._session import MemberSession, Session

__all__ = ["ACTIVITY", "SysinfoRequester", "SysinfoResponder"]

#: How consent records name this activity in the history.
ACTIVITY = "system information"
GATHERING_FAILED = "the customer's machine could not gather its system information"

log = logging.getLogger("helpline.peer")


class SysinfoRequester:
    """The rep's side of ``/sysinfo``."""

    def __init__(
        self,
        session: Session,
        policy: Policy,
        say: Callable[[str], None],
        recorder: Callable[[], Recorder | None],
    ) -> None:
        self.session = session
        self.asker = SysinfoAsker(policy)
        self._say = say
        self._recorder = recorder
        self._asked: Member | None = None
        #: A face that shows the report in a view of its own: (customer, rendered lines).
        self.on_report: Callable[[str, list[str]], None] | None = None

    async def ask(self, name: str) -> None:
        """Ask *name*, or the primary customer when no name is given."""
        customer = self._customer(name)
        request = self.asker.request(customer.id)  # FeatureDisabledError when the policy says no
        await self.session.send_message(customer.id, request)
        self._asked = customer
        self._say(f"Asked {customer.name} for system information; waiting for the answer.")

    def _customer(self, name: str) -> Member:
        if name.strip():
            member = self.session.find(name)
            if member.role is not Role.CUSTOMER:
                raise NotAllowedError(
                    f"system information comes from a customer; {member.name} is not one"
                )
            return member
        primary = self.session.primary
        if primary is None:
            raise NotAllowedError("no customer has joined yet")
        return primary

    def received(
        self, sender: Member, message: SysinfoReport | SysinfoRefused | SysinfoRequest
    ) -> None:
        try:
            answer = self.asker.receive(sender.id, message)
        except ProtocolError as e:
            self._say(f"! Rejected a message from {sender.name}: {e}")
            return
        self._asked = None
        recorder = self._recorder()
        if isinstance(answer, SysinfoRefused):
            if answer.reason == REFUSED_BY_CUSTOMER:
                self._say(f"! {sender.name} refused to send system information.")
            else:
                self._say(f"! No system information from {sender.name}: {answer.reason}")
            if recorder is not None:
                recorder.consent(
                    customer=sender.name, activity=ACTIVITY, granted=False, how="refused"
                )
            return
        if self.on_report is not None:
            self.on_report(sender.name, render_report(answer.sections))
        else:
            self._say(f"System information from {sender.name} (as their machine reports it):")
            for line in render_report(answer.sections):
                self._say(f"  {line}")
        if recorder is not None:
            recorder.consent(customer=sender.name, activity=ACTIVITY, granted=True)

    def member_left(self, name: str) -> None:
        if self._asked is not None and self._asked.name == name:
            self.asker.cancel(self._asked.id)
            self._asked = None
            self._say(f"! {name} left before answering the system information request.")


class SysinfoResponder:
    """The customer's side: shows what would be sent and sends it only on a yes."""

    def __init__(self, session: MemberSession, policy: Policy, say: Callable[[str], None]) -> None:
        self.session = session
        self.gate = SysinfoGate(policy)
        self._say = say
        self._report: tuple[SysinfoSection, ...] | None = None
        #: A face that asks with a dialog: (rep, the report's lines); it calls :meth:`answer`.
        self.on_question: Callable[[str, list[str]], None] | None = None
        #: The question on screen, its lines and the request it stands for (see :meth:`ask_with`).
        self._standing: tuple[Question, tuple[str, ...], SysinfoAsk | None] | None = None
        #: The unanswered request the one being put replaces (None: a fresh request).
        self._replaced: SysinfoAsk | None = None

    async def received(
        self, sender: Member, message: SysinfoRequest | SysinfoReport | SysinfoRefused
    ) -> None:
        if not isinstance(message, SysinfoRequest):
            self._say(
                f"! Rejected a message from {sender.name}: system information sent to a customer"
            )
            return
        pending = self.gate.pending
        decision = self.gate.receive(
            sender.id, message, controlling_rep=self.session.host_id, now=trio.current_time()
        )
        if isinstance(decision, SysinfoAsk):
            self._replaced = pending
        if isinstance(decision, SysinfoRefused):
            policy = self.gate.policy
            reason = decision.reason  # in the rep's words; this machine's policy in its own:
            if reason == policy.refusal_for_rep(Feature.SYSTEM_INFORMATION):
                reason = policy.refusal(Feature.SYSTEM_INFORMATION)
            self._say(f"! Refused a system information request from {sender.name}: {reason}")
            await self.session.send_message(sender.id, decision)
            return
        await self._put_question(sender, decision)

    async def _put_question(self, sender: Member, ask: SysinfoAsk) -> None:
        self._report = None
        try:
            report = await trio.to_thread.run_sync(collect_report)
        except Exception as e:  # a broken probe must cost the request, not the session
            log.warning("system information could not be gathered: %r", e)
            if self.gate.pending == ask:
                to, refused = self.gate.refuse(GATHERING_FAILED)
                await self.session.send_message(to, refused)
                self._say(f"! Could not gather your system information ({e}); nothing was sent.")
            return
        if self.gate.pending != ask:
            return  # replaced or withdrawn meanwhile: the newer question is shown instead
        self._report = report
        if self.on_question is not None:
            self.on_question(sender.name, render_report(report))
            return
        for line in self._question_lines(sender.name, report):
            self._say(line)

    def ask_with(self, questions: Questions) -> None:
        """Each request becomes one of *questions*, open while the gate waits for it."""

        def put(rep: str, _lines: list[str]) -> None:
            report = self._report
            assert report is not None
            lines, ask, standing = (
                self._question_lines(rep, report),
                self.gate.pending,
                self._standing,
            )
            if (
                standing is not None
                and standing[1] == lines
                and self._replaced is not None
                and standing[2] is self._replaced
            ):
                # Asked again, unanswered, for the same details: the question on screen
                # stands for the newer request (answers go to the gate's pending one) and
                # is not shown again, so a rep re-asking in a loop scrolls nothing away.
                self._standing = (standing[0], lines, ask)
                return

            def stands() -> bool:
                pending = self.gate.pending
                return (
                    pending is not None
                    and self._standing is not None
                    and self._standing[0] is question
                    and self._standing[2] is pending
                )

            question = Question(
                lines,
                f"{rep} (rep) asks for your system information. Allow? [y/N]",
                stands,
                self._answer_word,
            )
            self._standing = (question, lines, ask)
            questions.put(question, trio.current_time())

        self.on_question = put

    async def _answer_word(self, word: str) -> None:
        await self.answer(word)

    @staticmethod
    def _question_lines(rep: str, report: tuple[SysinfoSection, ...]) -> tuple[str, ...]:
        return (
            f"{rep} (rep) asks for your system information.",
            "This is exactly what would be sent:",
            *(f"  {line}" for line in render_report(report)),
            "Allow? [y/N]",
        )

    async def control_moved(self, reason: str) -> None:
        """Control moved (SPEC M5): the former rep's question is withdrawn, unanswered.

        A later yes must not send the report to someone who no longer controls
        the session; the new controlling rep asks again if it wants to.
        """
        pending = self.gate.pending
        if pending is not None and pending.rep != self.session.host_id:
            self.gate.withdraw(pending.rep)
            self._report = None
            self._say(f"* The system information request is withdrawn: {reason}.")

    async def answer(self, line: str) -> bool:
        """Take *line* as the answer if a question is pending; False if none is."""
        if self.gate.pending is None:
            return False
        if self._report is None:
            self._say("(still gathering the details; answer after the Allow? line)")
            return True
        if self.gate.pending.rep != self.session.host_id:  # control moved meanwhile
            await self.control_moved("the rep who asked no longer controls the session")
            return True
        if line.strip().casefold() in ("y", "yes"):
            to, report = self.gate.allow(self._report)
            await self.session.send_message(to, report)
            self._say("Sent your system information.")
        else:
            to, refused = self.gate.decline(trio.current_time())
            await self.session.send_message(to, refused)
            self._say("Refused; nothing was sent.")
        self._report = None
        return True
