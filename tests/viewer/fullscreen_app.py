"""The rep's viewer window on a real X display, driven from stdin (the full-screen test).

``toggle`` triggers the window's own Full screen action (the toolbar button,
F11); after each command it prints whether Qt thinks it is full screen.
"""

from __future__ import annotations

import json
import queue
import sys
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from peer._viewer import ViewerWindow


def main() -> None:
    app = QApplication(sys.argv[:1])
    window = ViewerWindow("Jo's desktop", control=False, post=lambda _message: None)
    window.resize(640, 400)
    window.show()
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in sys.stdin:
            lines.put(line.strip())
        lines.put("quit")

    def poll() -> None:
        while not lines.empty():
            line = lines.get()
            if line == "quit":
                app.quit()
                return
            if line == "toggle":
                window.full_action.trigger()
            print(json.dumps({"done": line, "full": window.isFullScreen()}), flush=True)

    threading.Thread(target=read, daemon=True).start()
    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(20)
    QTimer.singleShot(300, lambda: print(json.dumps({"ready": window.windowTitle()}), flush=True))
    app.exec()


if __name__ == "__main__":
    main()
