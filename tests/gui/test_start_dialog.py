"""The console's start dialog says what is wrong in place, before anything starts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codec import DEFAULT_POLICY

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from peer.gui._start_dialog import StartChoice


def test_a_web_address_as_relay_is_refused_in_the_dialog_naming_the_relay_address(
    qapp: QApplication,
) -> None:
    from peer.gui._start_dialog import StartDialog

    started: list[StartChoice] = []
    dialog = StartDialog(
        DEFAULT_POLICY, started.append, name="Alice", relay="http://10.0.0.5:8765/"
    )
    dialog.show()
    dialog.start_button.click()
    assert started == []
    assert dialog.isVisible()
    assert dialog.error.text() == (
        "'http://10.0.0.5:8765/' is a web address, not a relay address; try ws://10.0.0.5:8765"
    )
    dialog.relay.setText("ws://10.0.0.5:8765")
    dialog.start_button.click()
    assert [choice.relay for choice in started] == ["ws://10.0.0.5:8765"]
