"""An assistant's console handed control keeps its own record (SPEC M5, I4), as the terminal does.

Real relay, two consoles driven through their widgets (the lead, Alice, and
her helper, Alice (2), on a machine of its own: its own data folder), Bob
joining through the session API. From the moment the lead hands control
over, the helper's machine records the session with its type and tracking
code; its End offers the notes once more; ``helpline history`` on that
machine shows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codec import SessionCode
from tests.e2e.workplace import machine
from tests.gui.assisting import assist, choose, joined_as, next_code
from tests.gui.console import open_console_window, start_session
from tests.gui.customer import click
from tests.gui.helpers import until

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from PySide6.QtWidgets import QApplication


async def test_an_assistant_console_given_control_keeps_its_own_record_and_ends_with_notes(
    qapp: QApplication, relay_process: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helpers_machine = machine(tmp_path, "helper")
    async with (
        open_console_window(qapp, relay_process, tmp_path) as (lead_window, lead),
        open_console_window(qapp, relay_process, tmp_path) as (_window, helper),
    ):
        assert lead.start_dialog is not None
        lead.start_dialog.tracking.setText("CASE-7")
        await start_session(lead_window, lead)
        lead_tab = lead.faces[0].tab
        code = lead_tab.code_panel.code.text()
        number = SessionCode.parse(code).number
        async with joined_as(relay_process, code, "Bob") as bob:
            await next_code(lead_tab, code)
            helper_tab = await assist(lead_tab, helper, people=3)
            helper_tab.notes.editor.setPlainText("printer offline since Monday")
            click(helper_tab.notes.save_button)
            # Both consoles run in this process; from here on, the helper's machine's data.
            monkeypatch.delenv("HELPLINE_HISTORY")
            monkeypatch.setenv("XDG_DATA_HOME", str(helpers_machine.home / "data"))

            choose(lead_tab.roster, "Alice (2)", "Transfer control to Alice (2)")
            recorded = "You control the session: it is recorded in your history from now on."
            await until(
                lambda: recorded in helper_tab.chat.lines(),
                "the notice that the helper records the session",
            )
            await bob.send_chat("the printer is still offline")
            said = "Bob: the printer is still offline"
            await until(lambda: any(said in line for line in helper_tab.chat.lines()), "Bob's line")

            click(helper_tab.end_button)
            face = helper.faces[0]
            await until(lambda: face.end_dialog is not None, "the end-of-session notes")
            dialog = face.end_dialog
            assert dialog is not None
            assert dialog.editor.toPlainText() == "printer offline since Monday"
            dialog.editor.appendPlainText("cable replaced")
            click(dialog.end_button)
            await until(lambda: helper_tab.over, "the helper's session to end")
            await until(lambda: lead_tab.over, "the lead's session to end")

    await helpers_machine.check_history(
        number,
        ["general", "CASE-7", "Bob"],
        "(ended by Alice (2))",
        "  Alice (2) (rep) ",
        "  Alice (assistant) ",
        "  Bob (customer) ",
        "Alice handed control to Alice (2)",
        "Bob: the printer is still offline",
        "  - printer offline since Monday",
        "  - cable replaced",
    )
