"""A real Tk window for tests: draws a known pattern (colour bands, a
checkerboard, a block of random pixels), records every key and click.

Run as ``python -m tests.x11.tkprobe X Y W H TITLE`` with ``DISPLAY`` set.
It prints one JSON line per event on stdout: ``{"ready": ...}`` once mapped,
then ``{"click": [x, y, button]}`` (window coordinates) and
``{"key": keysym, "char": text}``. Lines on stdin change it: ``pattern N``
redraws with another pattern, ``move X Y`` moves the window, ``raise``,
``focus`` (takes the keyboard focus),
``copy TEXT`` puts TEXT on the clipboard, ``paste`` prints ``{"paste": text}``.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import tkinter as tk

COLOURS = ["#d03030", "#30a040", "#3050d0", "#e0c020", "#202020", "#f0f0f0", "#a040c0"]


#: Side of a block of random pixels: no codec can squeeze it, so any frame showing it is big.
NOISE = 96


def noise(pattern: int) -> tk.PhotoImage:
    rng = random.Random(pattern)
    image = tk.PhotoImage(width=NOISE, height=NOISE)
    rows = (
        "{" + " ".join(f"#{rng.getrandbits(24):06x}" for _ in range(NOISE)) + "}"
        for _ in range(NOISE)
    )
    image.put(" ".join(rows))
    return image


def draw(canvas: tk.Canvas, width: int, height: int, pattern: int) -> None:
    canvas.delete("all")
    bands = len(COLOURS)
    for i in range(bands):
        colour = COLOURS[(i + pattern) % bands]
        canvas.create_rectangle(
            i * width // bands, 0, (i + 1) * width // bands, height // 2, fill=colour, width=0
        )
    for y in range(height // 2, height, 8):
        for x in range(0, width, 8):
            if (x // 8 + y // 8 + pattern) % 2:
                canvas.create_rectangle(x, y, x + 8, y + 8, fill="#000000", width=0)
    image = noise(pattern)
    canvas.image = image  # type: ignore[attr-defined]  # Tk forgets images nobody holds
    canvas.create_image(width - NOISE, height - NOISE, image=image, anchor="nw")


def say(**fields: object) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def main() -> None:
    x, y, width, height = (int(v) for v in sys.argv[1:5])
    title = sys.argv[5]
    root = tk.Tk()
    root.title(title)
    root.geometry(f"{width}x{height}+{x}+{y}")
    root.resizable(width=False, height=False)
    canvas = tk.Canvas(root, width=width, height=height, highlightthickness=0, bg="#ffffff")
    canvas.pack()
    draw(canvas, width, height, 0)
    canvas.bind("<Button>", lambda e: say(click=[e.x, e.y, e.num]))
    root.bind("<Key>", lambda e: say(key=e.keysym, char=e.char))

    def on_line(line: str) -> None:
        word, *args = line.split()
        if word == "pattern":
            draw(canvas, width, height, int(args[0]))
        elif word == "move":
            root.geometry(f"+{args[0]}+{args[1]}")
        elif word == "raise":
            root.lift()
        elif word == "focus":
            root.focus_force()
        elif word == "copy":
            root.clipboard_clear()
            root.clipboard_append(line.split(" ", 1)[1].rstrip("\n"))
        elif word == "paste":
            try:
                say(paste=root.clipboard_get())
            except tk.TclError:
                say(paste=None)
        root.update_idletasks()
        root.after(50, lambda: say(done=word))

    def read_stdin() -> None:
        for line in sys.stdin:
            root.after(0, on_line, line)
        root.after(0, root.destroy)

    def ready() -> None:
        root.focus_force()
        root.update_idletasks()
        say(ready=[root.winfo_rootx(), root.winfo_rooty(), width, height])

    threading.Thread(target=read_stdin, daemon=True).start()
    root.after(200, ready)
    root.mainloop()


if __name__ == "__main__":
    main()
