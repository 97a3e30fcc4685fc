"""Invitations (SPEC S4): a join link to paste, or an e-mail with the link and the code.

``/invite link`` prints the link. ``/invite email ADDRESS`` sends the
invitation through SMTP when the config file has an ``[smtp]`` table, and
otherwise opens the user's own mail program with a ready ``mailto:``
message (through :mod:`webbrowser`, which honours ``$BROWSER`` and uses
``xdg-open`` on Linux); the link is printed either way, so nothing depends
on a mail program being there.

The invitation carries the code the rep's program would show the next
person, so the rep reads out the next one (``Session code:``) once
someone joins. ``--rep`` invites another rep as an assistant: it issues a
code that admits one assistant (which replaces the customer's code, as
``/assistant`` does) and the mail says to join with ``--assist``.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import webbrowser
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING
from urllib.parse import quote

import trio

from peer._errors import PeerError

if TYPE_CHECKING:
    from peer._config import SmtpConfig

__all__ = ["Invitation", "InviteError", "open_mailto", "send_smtp"]

#: An address as RFC 5321 bounds it; the mail server is the judge of the rest.
_ADDRESS = re.compile(r"[^\s@<>,;:\"()\[\]\\]{1,64}@[A-Za-z0-9.-]{1,253}")
SMTP_TIMEOUT = 20.0


class InviteError(PeerError):
    """The invitation could not be made or sent; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Invitation:
    rep: str
    code: str
    link: str
    address: str
    #: Invites another rep, who joins as an assistant (SPEC M4) with a code issued for one.
    assist: bool = False

    @classmethod
    def to(
        cls, address: str, *, rep: str, code: str, link: str, assist: bool = False
    ) -> Invitation:
        address = address.strip()
        if not _ADDRESS.fullmatch(address):
            raise InviteError(f"{address[:80]!r} is not an e-mail address like bob@example.org")
        return cls(rep, code, link, address, assist)

    @property
    def subject(self) -> str:
        what = "to assist in" if self.assist else "to"
        return f"{self.rep} invites you {what} a Helpline support session"

    @property
    def body(self) -> str:
        how = (
            f"To join as an assistant, install Helpline and run: "
            f"helpline join {self.link} --assist\n"
            if self.assist
            else f"To join, install Helpline and open the link, or run: helpline join {self.link}\n"
        )
        return (
            f"Hello,\n\n"
            f"{self.subject}.\n\n"
            f"Join link: {self.link}\n"
            f"Session code: {self.code}\n\n"
            f"{how}"
        )

    @property
    def mailto(self) -> str:
        return (
            f"mailto:{quote(self.address, safe='@')}"
            f"?subject={quote(self.subject)}&body={quote(self.body)}"
        )

    def email(self, sender: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.address
        message["Subject"] = self.subject
        message.set_content(self.body)
        return message


async def open_mailto(invitation: Invitation) -> bool:
    """Open the user's mail program on the invitation; False if none could be started."""
    try:
        return await trio.to_thread.run_sync(webbrowser.open, invitation.mailto)
    except webbrowser.Error:
        return False


async def send_smtp(invitation: Invitation, smtp: SmtpConfig) -> None:
    """Send the invitation through the configured server, or raise InviteError saying why."""
    message = invitation.email(smtp.sender)

    def send() -> None:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if smtp.security == "tls":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=SMTP_TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=context)
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            client.send_message(message)

    try:
        await trio.to_thread.run_sync(send)
    except (OSError, smtplib.SMTPException) as e:
        raise InviteError(
            f"could not send the invitation through {smtp.host}:{smtp.port}: {e}; "
            "check [smtp] in the config file, or send the link yourself"
        ) from None
