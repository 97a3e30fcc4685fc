"""Render screenshots of the rep's console and the customer's window in a scripted session.

    .venv/bin/python docs/screenshots.py [OUT_DIR]      (default: docs/screenshots)

Everything is real except the people: a relay started on this machine, the
console and the customer's window drawn by Qt offscreen in one trio run
(guest mode, as ``helpline console`` runs), and the customer's desktop on
a private Xvfb with a small Tk scene on it. The script clicks Start, types
the code into the customer's window, chats, shares a file, asks to control
the desktop, answers the question, and saves PNGs along the way:

- ``console-start.png``: the start dialog, prefilled;
- ``customer-question.png``: the customer's window asked "Alice wants to control…";
- ``console.png``: the console with the customer's screen docked, chat, notes, transfers;
- ``customer.png``: the customer's window while shared: the bar, chat, files;
- ``console-files.png``: the rep browsing the folder the customer granted (Files, Browse);
- ``customer-fetch.png``: the customer asked to allow that one file's fetch;
- ``console-invitations.png``: Invite…: two invitation links issued, listed, one chosen.

Needs Xvfb (``./dev test`` installs it when run as root).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import trio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.x11.xvfb import open_xvfb  # noqa: E402 - after the path that finds it

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QWidget

    from peer.gui import CustomerWindow
    from peer.gui._rep import RepFace

#: A customer's desktop to look at: a window with a stuck print queue, drawn by Tk.
SCENE = r"""
import tkinter as tk
root = tk.Tk()
root.geometry("1280x800+0+0")
root.configure(background="#2d6a8a")
win = tk.Frame(root, background="#f4f4f4", borderwidth=2, relief="raised")
win.place(x=260, y=150, width=720, height=440)
tk.Label(win, text="Print queue — Office printer", background="#3b3b3b", foreground="white",
         font=("DejaVu Sans", 14, "bold"), anchor="w", padx=10).pack(fill="x")
for n, (doc, state) in enumerate([("Invoice 2291.pdf", "Error: paper jam"),
                                   ("Holiday photos (12 pages)", "Waiting"),
                                   ("Tax return 2026.pdf", "Waiting")]):
    row = tk.Frame(win, background="#ffffff" if n % 2 else "#ececec")
    row.pack(fill="x")
    tk.Label(row, text=doc, background=row["background"], font=("DejaVu Sans", 13),
             anchor="w", padx=10, pady=8).pack(side="left")
    tk.Label(row, text=state, foreground="#b3261e" if n == 0 else "#555555",
             background=row["background"], font=("DejaVu Sans", 13), padx=10).pack(side="right")
tk.Button(win, text="Cancel all documents", font=("DejaVu Sans", 12)).pack(pady=20)
root.after(10, lambda: print("ready", flush=True))
root.mainloop()
"""


def save(widget: QWidget, path: Path, *, over: QWidget | None = None) -> None:
    """*widget* as drawn, with the dialog *over* it centred on top (a dialog is its own window)."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QPainter

    picture = widget.grab()
    if over is not None:
        top = over.grab()
        painter = QPainter(picture)
        title = 26  # a plain title bar, since offscreen windows have no frame to grab
        x = (picture.width() - top.width()) // 2
        y = (picture.height() - top.height() - title) // 3
        painter.fillRect(x + 5, y + 5, top.width(), top.height() + title, QColor(0, 0, 0, 70))
        painter.fillRect(x, y, top.width(), title, QColor("#3b3b3b"))
        painter.setPen(QColor("white"))
        painter.drawText(
            QRect(x + 10, y, top.width() - 20, title),
            Qt.AlignmentFlag.AlignVCenter,
            over.windowTitle(),
        )
        painter.drawPixmap(x, y + title, top)
        painter.setPen(QColor("#3b3b3b"))
        painter.drawRect(x, y, top.width() - 1, top.height() + title - 1)
        painter.end()
    picture.save(str(path))
    print(f"wrote {path} ({picture.width()}x{picture.height()})")


async def until(check: Callable[[], object], what: str, within: float = 30.0) -> None:
    with trio.move_on_after(within):
        while not check():  # noqa: ASYNC110 - widget state has no trio events
            await trio.sleep(0.05)
        return
    raise SystemExit(f"screenshots: gave up waiting for {what}")


async def script(out: Path, work: Path) -> None:
    from codec import DEFAULT_POLICY
    from peer._config import PeerConfig
    from peer._file_settings import FileSettings
    from peer.gui import ConsoleWindow, CustomerWindow, run_console, run_customer_window
    from peer.gui._activities import Action

    fix = work / "printer-reset.sh"
    fix.write_text("#!/bin/sh\n# clears a stuck CUPS queue\ncancel -a\n" * 200)
    config = PeerConfig(session_type="general", tracking="TICKET-4711")
    console_window = ConsoleWindow(DEFAULT_POLICY.max_sessions)
    rep_files = FileSettings(download_dir=work / "rep", shared_root=work)
    home = work / "bob-home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents" / "letter.odt").write_bytes(b"x" * 18_000)
    (home / "cups-error.log").write_text("E [01/Dec/2026:09:14:03] paper jam in tray 2\n" * 300)
    (home / "printer-settings.txt").write_text("Duplex: on\nTray: 2\n")
    customer_files = FileSettings(download_dir=work / "bob", shared_root=home)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            lambda: run_console(
                "Alice", config, DEFAULT_POLICY, rep_files, 10.0, window=console_window
            )
        )
        await until(lambda: getattr(console_window, "console", None), "the console")
        console = console_window.console  # type: ignore[attr-defined]
        await until(lambda: console.start_dialog is not None, "the start dialog")
        await trio.sleep(0.3)
        save(console_window, out / "console-start.png", over=console.start_dialog)
        console.start_dialog.submit()
        await until(lambda: console.faces, "the session")
        face = console.faces[0]
        tab = face.tab
        customer = CustomerWindow()
        nursery.start_soon(
            lambda: run_customer_window(
                str(face.session.code),
                "Bob",
                face.session.relay,
                DEFAULT_POLICY,
                customer_files,
                10.0,
                window=customer,
            )
        )
        await until(customer.isVisible, "the customer's window")
        customer.form.submit()
        await until(lambda: customer.in_session, "the join")
        tab.chat.entry.setText("Hello Bob, I'm Alice from support. Let's look at that printer.")
        tab.chat.send()
        await until(lambda: any("Hello Bob" in ln for ln in customer.chat.lines()), "a line")
        customer.chat.entry.setText("Thanks! The print queue is stuck on an invoice.")
        customer.chat.send()
        face.share_files([fix])
        await until(lambda: customer.shared_files.names(), "the shared file")
        tab.chat.choose(["Bob"])
        tab.chat.entry.setText("I've shared a small script in case we need it.")
        tab.chat.send()
        tab.chat.choose([])
        await until(lambda: tab.activities.reason(Action.CONTROL_DESKTOP) is None, "Control on")
        tab.activities.buttons[Action.CONTROL_DESKTOP].click()
        await until(lambda: customer.dialog is not None, "the customer's question")
        await trio.sleep(0.3)
        save(customer, out / "customer-question.png", over=customer.dialog)
        assert customer.dialog is not None
        customer.dialog.allow.click()
        await until(lambda: tab.viewer.viewer is not None, "the viewer")
        customer.shared_files.download()
        await until(lambda: customer.transfers.numbers(), "the download")
        tab.notes.editor.setPlainText("Print queue stuck on a jammed invoice\nAsked to clear it")
        tab.notes.save()
        await trio.sleep(1.5)  # let the screen settle in the viewer
        save(console_window, out / "console.png")
        customer.files_tabs.setCurrentWidget(customer.shared_files)
        await trio.sleep(0.3)
        save(customer, out / "customer.png")
        await browse_and_fetch(face, customer, console_window, out)
        await invitations(face, console_window, out)
        await face.end_now()
        await until(lambda: not customer.in_session, "the end")
        customer.close()
        console_window.close()
        nursery.cancel_scope.cancel()


async def browse_and_fetch(
    face: RepFace, customer: CustomerWindow, console_window: QWidget, out: Path
) -> None:
    """File access asked and allowed, the granted folder listed, one file asked for."""
    from peer.gui._activities import Action
    from peer.gui._activity_bar import FileAction

    menu = {a.text(): a for a in face.tab.activities.buttons[Action.FILES].menu().actions()}
    menu[FileAction.ACCESS].trigger()
    await until(lambda: customer.dialog is not None, "the file-access question")
    assert customer.dialog is not None
    customer.dialog.allow.click()
    await until(lambda: customer.share_bar.texts()[1:], "file access on the customer's bar")
    menu[FileAction.BROWSE].trigger()
    await until(lambda: face.remote_files is not None, "the browse dialog")
    dialog = face.remote_files
    assert dialog is not None
    await until(lambda: dialog.names(), "the customer's folder")
    dialog.tree.setCurrentItem(dialog.item("cups-error.log"))
    await trio.sleep(0.3)
    save(console_window, out / "console-files.png", over=dialog)
    dialog.fetch_button.click()
    await until(lambda: customer.dialog is not None, "the fetch question")
    await trio.sleep(0.3)
    save(customer, out / "customer-fetch.png", over=customer.dialog)
    assert customer.dialog is not None
    customer.dialog.allow.click()
    await until(lambda: face.tab.transfers.numbers()[1:], "the fetch's row")
    dialog.close()


async def invitations(face: RepFace, console_window: QWidget, out: Path) -> None:
    """Two links issued from the invitations dialog, both listed, the first chosen."""
    face.tab.code_panel.invite.click()
    dialog = face.invitations
    assert dialog is not None
    dialog.link_button.click()
    await until(lambda: dialog.rows()[0][1] != "", "the first link")
    dialog.link_button.click()
    await until(lambda: len(dialog.rows()) == 2, "the second link")
    dialog.choose(dialog.rows()[0][0])
    await trio.sleep(0.3)
    save(console_window, out / "console-invitations.png", over=dialog)
    dialog.close()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, open_xvfb() as display:
        env = {**os.environ, "DISPLAY": display}
        scene = subprocess.Popen(
            [sys.executable, "-c", SCENE], env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            assert scene.stdout is not None
            scene.stdout.readline()
            os.environ.update(
                DISPLAY=display,
                QT_QPA_PLATFORM="offscreen",
                HELPLINE_GUI="1",
                HELPLINE_HISTORY=str(Path(tmp) / "history.sqlite3"),
            )
            from peer._gui import run_trio

            run_trio(script, out, Path(tmp))
        finally:
            scene.terminate()
            scene.wait(5)


if __name__ == "__main__":
    main()
