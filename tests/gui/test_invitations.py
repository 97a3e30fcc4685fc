"""The console's invitations (S4): a link or an e-mail each with a code of its own, the
ones still open listed, and one withdrawn so that its code admits nobody.

The CLI's ``/invite link``, ``/invite email``, ``/invite list`` and ``/invite cancel N``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest

from codec import JoinTarget, NotAdmittedError, SessionCode
from peer._open import open_joined_session
from tests.gui.assisting import choose, lead_and_assistant
from tests.gui.console import open_console_window, start_session
from tests.gui.customer import click
from tests.gui.helpers import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from peer.gui._invitations import InvitationsDialog
    from peer.gui._rep import RepFace


@asynccontextmanager
async def invitations_open(
    app: QApplication, relay: str, tmp: Path
) -> AsyncIterator[tuple[RepFace, InvitationsDialog]]:
    """A console's session with its Invite… dialog open (Invite… clicked)."""
    async with open_console_window(app, relay, tmp) as (window, console):
        await start_session(window, console)
        face = console.faces[0]
        click(face.tab.code_panel.invite)
        await until(lambda: face.invitations is not None and face.invitations.isVisible(), "it")
        assert face.invitations is not None
        yield face, face.invitations


async def new_link(dialog: InvitationsDialog) -> str:
    """Copy a new link clicked: the code it lists."""
    before = {row[0] for row in dialog.rows()}
    click(dialog.link_button)
    await until(lambda: {row[0] for row in dialog.rows() if row[1]} - before, "a new code")
    return next(row[0] for row in dialog.rows() if row[1] and row[0] not in before)


async def test_invitations_are_listed_with_whom_they_admit_and_how_long_they_stay_open(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    from PySide6.QtGui import QGuiApplication

    async with invitations_open(qapp, relay_process, tmp_path) as (face, dialog):
        assert dialog.rows() == [["No invitation is open.", "", ""]]
        assert not dialog.withdraw_button.isEnabled()
        code = await new_link(dialog)
        link = QGuiApplication.clipboard().text()
        assert JoinTarget.from_link(link).code == SessionCode.parse(code)
        assert code != face.tab.code_panel.code.text()  # the code read out stays as it is
        assert dialog.status.text() == (
            f"Copied a join link with the code {code}: paste it into a message."
        )
        await new_link(dialog)
        assert [row[1:] for row in dialog.rows()] == [["a customer", "23 h 59 min"]] * 2


async def test_a_withdrawn_invitation_leaves_the_list_and_its_code_admits_nobody(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with invitations_open(qapp, relay_process, tmp_path) as (face, dialog):
        withdrawn, kept = await new_link(dialog), await new_link(dialog)
        dialog.choose(withdrawn)
        click(dialog.withdraw_button)
        await until(lambda: [row[0] for row in dialog.rows()] == [kept], "the list without it")
        assert dialog.status.text() == f"Withdrawn: the code {withdrawn} admits nobody from now on."
        notice = f"The invitation with the code {withdrawn} is withdrawn: it admits nobody."
        await until(lambda: notice in face.tab.chat.lines(), "the chat's notice")
        target = JoinTarget(relay_process, SessionCode.parse(withdrawn))
        with pytest.raises(NotAdmittedError, match="the rep withdrew that invitation"):
            async with open_joined_session(target, "Bob"):
                pass


async def test_a_mistyped_address_is_refused_in_the_dialog_and_spends_no_code(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with invitations_open(qapp, relay_process, tmp_path) as (_face, dialog):
        dialog.address.setText("bob.example.org")
        click(dialog.email_button)
        await until(lambda: dialog.status.text() != "", "the refusal")
        assert dialog.status.text() == (
            "No invitation: 'bob.example.org' is not an e-mail address like bob@example.org"
        )
        assert dialog.rows() == [["No invitation is open.", "", ""]]


async def test_a_transfer_of_control_closes_the_former_reps_invitations(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    """Its invitations are closed by the handover; the new controlling rep invites again."""
    from peer.gui._invitations import InvitationsDialog

    async with lead_and_assistant(qapp, relay_process, tmp_path) as (lead_tab, _helper_tab):
        click(lead_tab.code_panel.invite)
        dialog = lead_tab.findChild(InvitationsDialog)
        assert dialog is not None
        await new_link(dialog)
        choose(lead_tab.roster, "Alice (2)", "Transfer control to Alice (2)")
        await until(lambda: not dialog.isVisible(), "the dialog to close")
        assert not lead_tab.code_panel.isVisible()
