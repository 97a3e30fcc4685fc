"""The customer's questions against a hostile rep: the real customer program, a real relay process.

The rep is the package's own session, sending what a patched rep could
send (a question the moment the last one is answered, a file name holding
a forged line of Helpline's own). The customer is ``helpline join`` on a
pipe: commands always reach their command, only y/n answer, one question
is on screen at a time and each answer is echoed (SPEC R2, F2).
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeVar

import trio

from codec import (
    Activity,
    ConsentDeny,
    ConsentGrant,
    ConsentRequest,
    ConsentRevoke,
    DenyCause,
    FileAccessAsk,
    FileAccessState,
    FileFetch,
    FileOffer,
    FileRequestAnswer,
    JoinTarget,
    PointerMotion,
    SysinfoRefused,
    SysinfoRequest,
)
from peer._console import Console, open_console, python_command
from peer._events import ChatReceived, MemberJoined, MemberLeft, MessageReceived
from peer._open import open_hosted_session, open_joined_session
from tests.e2e.test_cli import _env
from tests.peer.helpers import WAIT, next_event

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from peer._host import HostSession

M = TypeVar("M")

VIEW_QUESTION = r"^Alice \(rep\) asks to view your desktop\. Allow\? \[y/N\]$"
FORGED = (
    "notes.txt\n* Sharing stopped by Alice: Nothing is shared.\n"
    "[rep] Alice: all done, control is off now - thanks!"
)


@asynccontextmanager
async def hostile_rep_and_bob(
    relay: str, home: Path, display: str = ""
) -> AsyncIterator[tuple[HostSession, int, Console]]:
    """Alice, a rep that sends what it likes; Bob, the real customer program; Bob's id."""
    await trio.Path(home).mkdir(exist_ok=True)
    env = {**_env(os.fspath(home)), "HOME": os.fspath(home), "DISPLAY": display}
    async with open_hosted_session(relay, "Alice") as alice:
        argv = python_command("peer", "join", str(alice.code), "--name", "Bob", "--relay", relay)
        async with open_console("Bob", argv, env=env) as bob:
            await next_event(alice, MemberJoined)
            await bob.expect(r"^Type a message and press Enter")
            bob_id = next(m.id for m in alice.members.values() if m.name == "Bob")
            yield alice, bob_id, bob


async def hears(rep: HostSession, kind: type[M]) -> M:
    """The next message of *kind* the rep receives; others before it are passed over."""
    with trio.fail_after(WAIT):
        while True:
            event = await next_event(rep, MessageReceived)
            if isinstance(event.message, kind):
                return event.message


async def ask_to_view(alice: HostSession, bob_id: int, bob: Console) -> None:
    await alice.send_message(bob_id, ConsentRequest(Activity.VIEW_DESKTOP, alice.id))
    await bob.expect(VIEW_QUESTION)


# Commands always reach their command (H2) -------------------------------------------


async def test_the_customers_stop_reaches_the_command_while_the_rep_keeps_a_question_open(
    relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with hostile_rep_and_bob(relay_process, tmp_path / "bob", xdisplay) as (
        alice,
        bob_id,
        bob,
    ):
        await alice.send_message(bob_id, ConsentRequest(Activity.CONTROL_DESKTOP, alice.id))
        await bob.expect(r"asks to control your desktop .*Allow\? \[y/N\]$")
        await bob.send("y")
        await hears(alice, ConsentGrant)
        await ask_to_view(alice, bob_id, bob)
        await bob.send("/stop")
        revoke = await hears(alice, ConsentRevoke)
        assert revoke.activity is Activity.CONTROL_DESKTOP
        await bob.expect(r"^\* Sharing stopped: nothing is shared\.$")
        await alice.send_message(bob_id, PointerMotion(5, 5))
        await bob.expect(r"^! Dropped a message from Alice: input sent without control granted")


async def test_the_customers_commands_reach_them_while_a_system_information_question_is_open(
    relay_process: str, tmp_path: Path
) -> None:
    async with hostile_rep_and_bob(relay_process, tmp_path / "bob") as (alice, bob_id, bob):
        await alice.send_message(bob_id, SysinfoRequest(1))
        await bob.expect(r"^Allow\? \[y/N\]$")
        await bob.send("/status")
        await bob.expect(r"^Nothing is shared\.$")
        await bob.send("/quit")
        await bob.expect(r"^You left the session\.$")
        assert await bob.wait_exit() == 0
        left = await next_event(alice, MemberLeft)
        assert (left.name, left.said_goodbye) == ("Bob", True)


async def test_a_line_that_is_no_answer_is_chat_and_the_open_question_is_named_again(
    relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    # A customer with a screen to share: one without is not asked at all.
    async with hostile_rep_and_bob(relay_process, tmp_path / "bob", xdisplay) as (
        alice,
        bob_id,
        bob,
    ):
        await ask_to_view(alice, bob_id, bob)
        await bob.send("yes please, go ahead")
        chat = await next_event(alice, ChatReceived)
        assert chat.text == "yes please, go ahead"
        await bob.expect(
            r"^\? Still waiting for your answer \(y or n\): Alice \(rep\) asks to view your "
            r"desktop\. Allow\? \[y/N\]$"
        )
        await bob.send("N")
        deny = await hears(alice, ConsentDeny)
        assert (deny.activity, deny.cause) == (Activity.VIEW_DESKTOP, DenyCause.DECLINED)


# After a no the rep waits (H2; the rule is codec's) ---------------------------------------


async def test_after_the_customer_declines_the_rep_is_told_to_wait_before_asking_again(
    relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    # A customer with a screen to share: one without is not asked at all.
    async with hostile_rep_and_bob(relay_process, tmp_path / "bob", xdisplay) as (
        alice,
        bob_id,
        bob,
    ):
        await ask_to_view(alice, bob_id, bob)
        await bob.send("")
        assert (await hears(alice, ConsentDeny)).cause is DenyCause.DECLINED
        await alice.send_message(bob_id, ConsentRequest(Activity.VIEW_DESKTOP, alice.id))
        again = await hears(alice, ConsentDeny)
        assert again.reason.startswith("the customer said no a moment ago; ask again in ")
        assert again.cause is DenyCause.NOT_ASKED
        await alice.send_message(bob_id, SysinfoRequest(1))  # another kind: it is asked
        await bob.expect(r"^Alice \(rep\) asks for your system information\.$")
        await bob.send("n")
        assert await hears(alice, SysinfoRefused) == SysinfoRefused(
            1, "the customer refused to send system information"
        )
        await alice.send_message(bob_id, SysinfoRequest(2))
        refused = await hears(alice, SysinfoRefused)
        assert refused.request == 2
        assert refused.reason.startswith("the customer said no a moment ago; ask again in ")
        await bob.send("/status")
        await bob.expect(r"^Nothing is shared\.$")
        assert sum("asks to view your desktop" in line for line in bob.lines) == 1
        assert sum("asks for your system information" in line for line in bob.lines) == 1


# File names and file questions (H1) --------------------------------------------------------


async def test_a_file_name_holding_lines_of_its_own_prints_none_of_them(
    relay_process: str, tmp_path: Path
) -> None:
    async with hostile_rep_and_bob(relay_process, tmp_path / "bob") as (alice, bob_id, bob):
        await alice.send_message(bob_id, FileOffer(12345, FORGED, 10, 0))
        await bob.expect(
            r"^! Rejected a message from Alice: file-offer path: U\+000A LINE FEED is not allowed$"
        )
        await bob.send("/transfers")
        await bob.expect(r"^No transfers yet\.$")
        assert not any(line.startswith(("* Sharing stopped", "[rep]")) for line in bob.lines)


@asynccontextmanager
async def two_fetch_questions(
    relay: str, tmp_path: Path
) -> AsyncIterator[tuple[HostSession, Console]]:
    """Alice has file access and asked for photo.png, then for Bob's SSH key; the first is shown."""
    home = tmp_path / "bob"
    await trio.Path(home / ".ssh").mkdir(parents=True)
    (home / "photo.png").write_bytes(b"png")
    (home / ".ssh" / "id_ed25519").write_bytes(b"secret key")
    async with hostile_rep_and_bob(relay, home) as (alice, bob_id, bob):
        await alice.send_message(bob_id, FileAccessAsk())
        await bob.expect(r"^\? Alice \(rep\) asks for file access.* Allow\? \[y/N\]$")
        await bob.send("y")
        await bob.expect(r"^Allowed: Alice \(rep\) asks for file access")
        assert (await hears(alice, FileAccessState)).granted
        await alice.send_message(bob_id, FileFetch(1, "photo.png"))
        await alice.send_message(bob_id, FileFetch(2, ".ssh/id_ed25519"))
        await bob.expect(r"^\? Alice \(rep\) wants to fetch photo\.png \(3 bytes\)")
        await bob.send("/status")  # both requests are in by now; one question is shown
        await bob.expect(r"^Nothing is shared\.$")
        assert not any("id_ed25519" in line for line in bob.lines)
        yield alice, bob


async def answers_heard(alice: HostSession) -> dict[int, bool]:
    answers: dict[int, bool] = {}
    while len(answers) < 2:
        answer = await hears(alice, FileRequestAnswer)
        answers[answer.request] = answer.ok
    return answers


async def test_file_questions_come_one_at_a_time_and_each_answer_names_its_question(
    relay_process: str, tmp_path: Path
) -> None:
    async with two_fetch_questions(relay_process, tmp_path) as (alice, bob):
        await bob.send("y")
        await bob.expect(r"^Allowed: Alice \(rep\) wants to fetch photo\.png \(3 bytes\)")
        await bob.expect(r"^\? Alice \(rep\) wants to fetch \.ssh/id_ed25519 \(10 bytes\)")
        await bob.send("n")
        await bob.expect(r"^Refused: Alice \(rep\) wants to fetch \.ssh/id_ed25519")
        assert await answers_heard(alice) == {1: True, 2: False}


async def test_a_yes_typed_before_the_next_question_was_shown_does_not_answer_it(
    relay_process: str, tmp_path: Path
) -> None:
    async with two_fetch_questions(relay_process, tmp_path) as (alice, bob):
        await bob.send("y\ny")  # two lines at once: the second came before the key's question
        await bob.expect(r"^Allowed: Alice \(rep\) wants to fetch photo\.png")
        await bob.expect(r"^\? Alice \(rep\) wants to fetch \.ssh/id_ed25519")
        await bob.expect(r"^\('y' came before this question was shown; nothing was sent\)$")
        await bob.expect(r"^\? Still waiting for your answer \(y or n\): .*\.ssh/id_ed25519")
        await bob.send("n")
        await bob.expect(r"^Refused: Alice \(rep\) wants to fetch \.ssh/id_ed25519")
        assert await answers_heard(alice) == {1: True, 2: False}
        await bob.send("y")  # a moment after the last question: a late answer, not chat
        await bob.expect(r"^\('y' answers nothing: the last question was answered, withdrawn")
        await bob.send("thanks")
        assert (await next_event(alice, ChatReceived)).text == "thanks"  # no "y" before it


# Offers from anyone but the rep (L3) ---------------------------------------------------------


async def test_an_offer_from_another_customer_is_refused_in_one_line_and_kept_nowhere(
    relay_process: str, tmp_path: Path
) -> None:
    async with hostile_rep_and_bob(relay_process, tmp_path / "bob") as (alice, _, bob):
        async with open_joined_session(JoinTarget(relay_process, alice.code), "Mallory") as mal:
            await bob.expect(r"^\* Mallory joined \(customer\)$")
            bob_id = next(m.id for m in mal.members.values() if m.name == "Bob")
            for tid in range(1, 4):
                await mal.send_message(bob_id, FileOffer(tid, f"invoice-{tid}.pdf", 10, 0))
            for _ in range(3):
                await bob.expect(r"^! Refused a file message from Mallory: only the rep sends")
            await bob.send("/transfers")
            await bob.expect(r"^No transfers yet\.$")
            refusals = [line for line in bob.lines if "Mallory" in line and "joined" not in line]
            assert (
                refusals
                == ["! Refused a file message from Mallory: only the rep sends files to a customer"]
                * 3
            )
