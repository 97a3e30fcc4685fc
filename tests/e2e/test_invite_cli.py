"""Invitations from a real ``helpline start``: a link, a mail program, a real SMTP server.

The SMTP server is aiosmtpd on 127.0.0.1; the "mail program" is whatever
``$BROWSER`` names, as :mod:`webbrowser` runs it for a ``mailto:`` URL (here
a small script that writes the URL down).
"""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from email import message_from_bytes
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

import trio
from aiosmtpd.controller import Controller

from tests.conftest import free_port
from tests.e2e.workplace import CODE, machine

if TYPE_CHECKING:
    from collections.abc import Iterator
    from email.message import Message
    from pathlib import Path

    from aiosmtpd.smtp import SMTP, Envelope, Session

    from peer._console import Console
    from tests.e2e.workplace import Machine


def as_carol(relay: str) -> list[str]:
    """Carol joins with the code the rep reads out, on the phone."""
    return ["--relay", relay, "--name", "Carol"]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        rcpt = [str(r) for r in envelope.rcpt_tos]
        self.messages.append((str(envelope.mail_from), rcpt, message_from_bytes(envelope.content)))
        return "250 OK"


@contextmanager
def smtp_server(rep: Machine) -> Iterator[Inbox]:
    """A real SMTP server on loopback, named in *rep*'s config; its inbox."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        rep.write_config(
            f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
            'from = "alice@support.example"\n'
        )
        yield inbox
    finally:
        controller.stop()


async def test_invite_link_prints_a_link_with_a_code_of_its_own_that_joins(
    tmp_path: Path, relay_process: str
) -> None:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    async with rep.run("alice", "start", "--relay", relay_process, "--name", "Alice") as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        await alice.expect(r"^Join link: ")  # the read-out code's
        await alice.send("/invite link")
        link = (await alice.expect(r"^Join link: (\S+)$")).group(1)
        await alice.expect(
            r"^\* The link's code, \S+, is its own: it admits one person within 24 hours\.$"
        )
        assert code not in link
        async with cust.run("bob", "join", link, "--name", "Bob") as bob:
            await bob.expect(r"^Joined session \d{4}-\d{4} as Bob$")
            await alice.expect(r"^\* Bob joined \(customer\)$")
            async with cust.run("carol", "join", code, *as_carol(relay_process)) as carol:
                await carol.expect(r"^Joined session \d{4}-\d{4} as Carol$")


async def test_a_used_invitation_code_is_refused_on_both_sides_saying_so(
    tmp_path: Path, relay_process: str
) -> None:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    async with rep.run("alice", "start", "--relay", relay_process, "--name", "Alice") as alice:
        await alice.expect(rf"^Session code: {CODE}$")
        await alice.expect(r"^Join link: ")  # the read-out code's
        await alice.send("/invite link")
        link = (await alice.expect(r"^Join link: (\S+)$")).group(1)
        async with cust.run("bob", "join", link, "--name", "Bob") as bob:
            await bob.expect(r"^Joined session \d{4}-\d{4} as Bob$")
            async with cust.run("mallory", "join", link, "--name", "Mallory") as mallory:
                await mallory.expect(
                    r"^helpline: that invitation's code was used already \(an invitation admits "
                    r"one person\); ask the rep for a new invitation$"
                )
                assert await mallory.wait_exit() != 0
            await alice.expect(
                r"^! Turned away someone trying to join: "
                r"they used an invitation's code that was used already$"
            )


async def two_link_invitations(alice: Console) -> tuple[str, str, str]:
    """A new session's rep makes two link invitations and lists them; the first's link
    and both codes."""
    await alice.expect(rf"^Session code: {CODE}$")
    await alice.expect(r"^Join link: ")  # the read-out code's
    await alice.send("/invite link")
    link = (await alice.expect(r"^Join link: (\S+)$")).group(1)
    first = (await alice.expect(r"^\* The link's code, (\S+), is its own")).group(1)
    await alice.send("/invite link")
    second = (await alice.expect(r"^\* The link's code, (\S+), is its own")).group(1)
    await alice.send("/invite list")
    return link, first, second


async def test_a_withdrawn_invitation_is_listed_no_more_and_refuses_its_joiner(
    tmp_path: Path, relay_process: str
) -> None:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    async with rep.run("alice", "start", "--relay", relay_process, "--name", "Alice") as alice:
        link, invited, other = await two_link_invitations(alice)
        await alice.expect(rf"^  1\. {invited} for a customer, open 23 h 59 min more$")
        await alice.expect(rf"^  2\. {other} for a customer, open 23 h 59 min more$")
        await alice.send("/invite cancel 3")
        await alice.expect(r"^! no open invitation is numbered '3'; /invite list shows them$")
        await alice.send("/invite cancel 1")
        await alice.expect(rf"^\* The invitation with the code {invited} is withdrawn")
        await alice.send("/invite list")
        await alice.expect(rf"^  1\. {other} for a customer")
        async with cust.run("bob", "join", link, "--name", "Bob") as bob:
            await bob.expect(
                r"^helpline: the rep withdrew that invitation; ask the rep for a new one"
            )
            assert await bob.wait_exit() != 0
        await alice.expect(
            r"^! Turned away someone trying to join: they used an invitation's code you withdrew$"
        )


async def test_invite_email_through_smtp_mails_a_link_that_joins(
    tmp_path: Path, relay_process: str
) -> None:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    with smtp_server(rep) as inbox:
        async with rep.run("alice", "start", "--relay", relay_process, "--name", "Alice") as alice:
            code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
            await alice.send("/invite email bob@customer.example")
            await alice.expect(r"^Sent an invitation to bob@customer\.example via 127\.0\.0\.1\.$")
            invited = (await alice.expect(r"^\* The invitation's code, (\S+), is its own")).group(1)
            assert invited != code
            assert len(inbox.messages) == 1
            sender, recipients, mail = inbox.messages[0]
            assert (sender, recipients) == ("alice@support.example", ["bob@customer.example"])
            assert mail["Subject"] == "Alice invites you to a Helpline support session"
            body = mail.get_payload(decode=True)
            assert isinstance(body, bytes)
            text = body.decode()
            assert f"Session code: {invited}" in text
            assert "To join, install Helpline and open the link" in text
            link = re.search(r"^Join link: (\S+)\r?$", text, re.MULTILINE)
            assert link is not None
            assert invited in link.group(1)
            async with cust.run("bob", "join", link.group(1), "--name", "Bob") as bob:
                await bob.expect(r"^Joined session \d{4}-\d{4} as Bob$")
                await alice.expect(r"^\* Bob joined \(customer\)$")
                # The code Alice reads out was not touched: it admits someone else.
                async with cust.run("carol", "join", code, *as_carol(relay_process)) as carol:
                    await carol.expect(r"^Joined session \d{4}-\d{4} as Carol$")
                    await alice.expect(r"^\* Carol joined \(customer\)$")


async def test_invite_email_without_smtp_opens_the_mail_program_on_a_mailto(
    tmp_path: Path, relay_process: str
) -> None:
    rep = machine(tmp_path, "rep")
    seen = tmp_path / "mailto.txt"
    program = tmp_path / "mail-program.py"
    program.write_text(
        f"import sys, pathlib\npathlib.Path({str(seen)!r}).write_text(sys.argv[1])\n",
        encoding="utf-8",
    )
    browser = {"BROWSER": f"{sys.executable} {program} %s"}
    start = ["start", "--relay", relay_process, "--name", "Alice"]
    async with rep.run("alice", *start, env=browser) as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        await alice.expect(r"^Join link: ")  # the read-out code's
        await alice.send("/invite email bob@customer.example")
        await alice.expect(r"^Opened your mail program with an invitation to bob@customer")
        link = (await alice.expect(r"^Join link: (\S+)$")).group(1)
        invited = (await alice.expect(r"^\* The invitation's code, (\S+), is its own")).group(1)
        assert invited != code
        with trio.fail_after(10):
            while not seen.exists():  # noqa: ASYNC110 - another process writes it; no event
                await trio.sleep(0.05)
    url = urlsplit(seen.read_text(encoding="utf-8"))
    assert (url.scheme, unquote(url.path)) == ("mailto", "bob@customer.example")
    query = parse_qs(url.query)
    assert query["subject"] == ["Alice invites you to a Helpline support session"]
    assert f"Join link: {link}\n" in query["body"][0]
    assert f"Session code: {invited}\n" in query["body"][0]


async def test_a_bad_address_or_form_is_refused_with_the_usage(
    tmp_path: Path, relay_process: str
) -> None:
    rep = machine(tmp_path, "rep")
    async with rep.run("alice", "start", "--relay", relay_process, "--name", "Alice") as alice:
        await alice.expect(rf"^Session code: {CODE}$")
        await alice.send("/invite email not-an-address")
        await alice.expect(r"^! 'not-an-address' is not an e-mail address like bob@example\.org$")
        await alice.send("/invite sms 555")
        await alice.expect(
            r"^! usage: /invite link, /invite email ADDRESS \[--rep\], /invite list, "
            r"/invite cancel N$"
        )


async def test_invite_email_rep_mails_an_assistant_code_that_joins_as_assistant(
    tmp_path: Path, relay_process: str
) -> None:
    rep, other = machine(tmp_path, "rep"), machine(tmp_path, "other-rep")
    with smtp_server(rep) as inbox:
        async with rep.run("alice", "start", "--relay", relay_process, "--name", "Alice") as alice:
            await alice.expect(rf"^Session code: {CODE}$")
            await alice.send("/invite email dave@support.example --rep")
            await alice.expect(r"^Sent an invitation to dave@support\.example via 127\.0\.0\.1\.$")
            await alice.expect(
                r"^\* The invitation's code, \S+, is its own: it admits one assistant"
            )
            (_, recipients, mail) = inbox.messages[0]
            assert recipients == ["dave@support.example"]
            assert mail["Subject"] == "Alice invites you to assist in a Helpline support session"
            body = mail.get_payload(decode=True)
            assert isinstance(body, bytes)
            found = re.search(
                r"^To join as an assistant, .*: helpline join (\S+) --assist\r?$",
                body.decode(),
                re.MULTILINE,
            )
            assert found is not None
            async with other.run(
                "dave", "join", found.group(1), "--assist", "--name", "Dave"
            ) as dave:
                await dave.expect(r"^Joined session \d{4}-\d{4} as Dave$")
                await alice.expect(r"^\* Dave joined \(assistant\)$")


async def test_the_config_file_sets_how_long_an_invitation_code_stays_open(
    tmp_path: Path, relay_process: str
) -> None:
    rep = machine(tmp_path, "rep")
    rep.write_config("invitation_lifetime = 7200\n")
    async with rep.run("alice", "start", "--relay", relay_process, "--name", "Alice") as alice:
        await alice.expect(rf"^Session code: {CODE}$")
        await alice.send("/invite link")
        await alice.expect(r"^\* The link's code, \S+, is its own: it admits one person within 2 h")


async def test_cancel_takes_the_number_the_list_showed_even_after_an_earlier_one_was_used(
    tmp_path: Path, relay_process: str
) -> None:
    rep, cust = machine(tmp_path, "rep"), machine(tmp_path, "customer")
    async with rep.run("alice", "start", "--relay", relay_process, "--name", "Alice") as alice:
        link, used, other = await two_link_invitations(alice)
        await alice.expect(rf"^  2\. {other} for a customer")
        async with cust.run("bob", "join", link, "--name", "Bob") as bob:
            await bob.expect(r"^In this session: Alice \(rep\)$")
            await alice.expect(r"^\* Bob joined")
            # 1 was Bob's, used since the list: 1 is not the next one now.
            await alice.send("/invite cancel 1")
            await alice.expect(rf"^! invitation 1 \({used}\) is no longer open: it was used")
            await alice.send("/invite cancel 2")
            await alice.expect(rf"^\* The invitation with the code {other} is withdrawn")
