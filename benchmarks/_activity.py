"""Scripted desktop activity for the screen benchmark: a document and a small window, in Tk.

Run as ``python -m benchmarks._activity`` with ``DISPLAY`` set. Each line on
stdin is one step (``scroll``, ``type``, ``drag``); once the step is drawn it
prints ``done``. The document is long text in a text widget (scrolling moves
it by three lines a step), typing adds one character at the end of its last
visible line, dragging moves the small window by 12 pixels.

``done`` carries the moment the X server had carried the drawing out, on
``time.monotonic()`` (one clock for every process of the machine): Tk's
drawing requests are flushed and answered by a round trip first, so the
time is the display's, not the time the benchmark got round to reading the
line.
"""

from __future__ import annotations

import sys
import threading
import time
import tkinter as tk

WORDS = [
    "remote",
    "support",
    "sessions",
    "need",
    "every",
    "change",
    "delivered",
    "fast",
    "and",
    "exact",
]


def main() -> None:
    root = tk.Tk()
    root.title("Document")
    root.geometry("1400x900+60+40")
    text = tk.Text(root, font=("DejaVu Sans Mono", 13), wrap="none", bg="white", fg="#202020")
    text.configure(insertofftime=0)  # a blinking cursor would be a change of its own
    text.pack(fill="both", expand=True)
    for n in range(2000):
        line = " ".join(WORDS[(n + i) % len(WORDS)] for i in range(12))
        text.insert("end", f"{n:5d}  {line}\n")
    text.mark_set("insert", "8.0")
    note = tk.Toplevel(root)
    note.title("Note")
    note.geometry("360x240+1500+120")
    tk.Label(note, text="Drag me", font=("DejaVu Sans", 20), bg="#ffe9a8").pack(
        fill="both", expand=True
    )
    position = [1500, 120]
    typed = [0]

    def step(command: str) -> None:
        if command == "scroll":
            text.yview_scroll(3, "units")
        elif command == "type":
            first = int(text.index("@0,0").split(".")[0])
            text.insert(f"{first + 5}.end", "abcdefghij"[typed[0] % 10])
            typed[0] += 1
        elif command == "drag":
            position[0] = 1500 - (position[0] - 1500 + 12) % 300
            note.geometry(f"+{position[0]}+{position[1]}")
        root.update_idletasks()
        # A request with a reply: the server has carried out every drawing request before it.
        root.winfo_pointerxy()
        print(f"done {time.monotonic():.6f}", flush=True)

    def read() -> None:
        for line in sys.stdin:
            root.after(0, step, line.strip())
        root.after(0, root.destroy)

    threading.Thread(target=read, daemon=True).start()
    root.after(300, lambda: print("ready", flush=True))
    root.mainloop()


if __name__ == "__main__":
    main()
