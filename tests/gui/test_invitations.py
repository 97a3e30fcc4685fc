"""The console's invitations (S4): a link or an e-mail each with a code of its own, the
ones still open listed, and one withdrawn so that its code admits nobody.

The CLI's ``/invite link``, ``/invite email``, ``/invite list`` and ``/invite cancel N``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from codec import JoinTarget, NotAdmittedError, SessionCode
from peer._open import open_joined_session
from tests.gui.assisting import choose, lead_and_assistant
from tests.gui.console import open_console_window, start_session
from tests.gui.customer import click
from tests.gui.helpers import until

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from peer.gui._invitations import InvitationsDialog
    from peer.gui._rep import RepFace


async def opened(face: RepFace) -> InvitationsDialog:
    click(face.tab.code_panel.invite)
    await until(lambda: face.invitations is not None and face.invitations.isVisible(), "dialog")
    assert face.invitations is not None
    return face.invitations


async def test_invitations_are_listed_with_whom_they_admit_and_how_long_they_stay_open(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    from PySide6.QtGui import QGuiApplication

    async with open_console_window(qapp, relay_process, tmp_path) as (window, console):
        await start_session(window, console)
        face = console.faces[0]
        dialog = await opened(face)
        assert dialog.rows() == [["No invitation is open.", "", ""]]
        assert not dialog.withdraw_button.isEnabled()
        click(dialog.link_button)
        await until(lambda: len(dialog.rows()) == 1 and dialog.rows()[0][1], "the first")
        code = dialog.rows()[0][0]
        link = QGuiApplication.clipboard().text()
        assert JoinTarget.from_link(link).code == SessionCode.parse(code)
        assert code != face.tab.code_panel.code.text()  # the code read out stays as it is
        assert dialog.status.text() == (
            f"Copied a join link with the code {code}: paste it into a message."
        )
        click(dialog.link_button)
        await until(lambda: len(dialog.rows()) == 2, "the second")
        assert [row[1:] for row in dialog.rows()] == [["a customer", "23 h 59 min"]] * 2


async def test_a_withdrawn_invitation_leaves_the_list_and_its_code_admits_nobody(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with open_console_window(qapp, relay_process, tmp_path) as (window, console):
        await start_session(window, console)
        face = console.faces[0]
        dialog = await opened(face)
        click(dialog.link_button)
        await until(lambda: dialog.rows()[0][1] != "", "the first link")
        click(dialog.link_button)
        await until(lambda: len(dialog.rows()) == 2, "the second")
        withdrawn, kept = (row[0] for row in dialog.rows())
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
    async with open_console_window(qapp, relay_process, tmp_path) as (window, console):
        await start_session(window, console)
        dialog = await opened(console.faces[0])
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
        click(dialog.link_button)
        await until(lambda: dialog.rows()[0][1] != "", "the link")
        choose(lead_tab.roster, "Alice (2)", "Transfer control to Alice (2)")
        await until(lambda: not dialog.isVisible(), "the dialog to close")
        assert not lead_tab.code_panel.isVisible()
