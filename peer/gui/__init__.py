"""The desktop faces of a session: the customer's window and the rep's console (PySide6).

Both run over the same session API as the CLI, with trio as a guest of
Qt's event loop (:func:`peer._gui.run_trio`). Widgets are small classes,
one per panel and module; the controllers (``_customer``, ``_console``)
are the only code that touches both the session and the widgets.
"""

from __future__ import annotations

from peer.gui._console_app import Console, run_console
from peer.gui._console_window import ConsoleWindow
from peer.gui._customer import CustomerFace, link_relay, run_customer_window
from peer.gui._customer_window import CustomerWindow

__all__ = [
    "Console",
    "ConsoleWindow",
    "CustomerFace",
    "CustomerWindow",
    "link_relay",
    "run_console",
    "run_customer_window",
]
