"""``helpline install-desktop``: menu entries and the ``helpline:`` link handler, for this user.

Two freedesktop.org desktop entries go into the user's applications
folder (``$XDG_DATA_HOME/applications``, else ``~/.local/share/applications``):
"Helpline" (the customer's window, ``helpline join --gui %u``, registered
for ``x-scheme-handler/helpline`` so a clicked join link opens it) and
"Helpline console" (the rep's). The user's ``mimeapps.list``
(``$XDG_CONFIG_HOME``, else ``~/.config``) names the first as the default
for ``helpline:`` links. Nothing needs root and nothing outside those two
files and that one line is touched; running it again rewrites the same.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

__all__ = ["CONSOLE_ENTRY", "JOIN_ENTRY", "SCHEME_TYPE", "install_desktop"]

JOIN_ENTRY = "helpline.desktop"
CONSOLE_ENTRY = "helpline-console.desktop"
SCHEME_TYPE = "x-scheme-handler/helpline"


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def _exec(*args: str) -> str:
    """An Exec= line running this very Python's Helpline, quoted as the spec asks."""
    command = [sys.executable, "-m", "peer", *args]
    # The spec's quoting is close enough to the shell's for paths; a literal '%' is
    # doubled, and %u (the clicked link) is the one field code left as it is.
    return " ".join(a if a == "%u" else shlex.quote(a).replace("%", "%%") for a in command)


def _entry(name: str, comment: str, exec_line: str, *, handler: bool) -> str:
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.5",
        f"Name={name}",
        f"Comment={comment}",
        f"Exec={exec_line}",
        "Terminal=false",
        "Categories=Network;RemoteAccess;",
        "Icon=preferences-desktop-remote-desktop",
    ]
    if handler:
        lines.append(f"MimeType={SCHEME_TYPE};")
    return "\n".join(lines) + "\n"


def _set_default(mimeapps: Path, mime: str, entry: str) -> None:
    """*entry* as the default for *mime* in a mimeapps.list, keeping every other line."""
    lines = mimeapps.read_text(encoding="utf-8").splitlines() if mimeapps.exists() else []
    out: list[str] = []
    section = None
    placed = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            if section == "[Default Applications]" and not placed:
                out.append(f"{mime}={entry}")
                placed = True
            section = stripped
        elif section == "[Default Applications]" and stripped.startswith(f"{mime}="):
            if not placed:
                out.append(f"{mime}={entry}")
                placed = True
            continue
        out.append(line)
    if not placed:
        if section != "[Default Applications]":
            out += ["", "[Default Applications]"] if out else ["[Default Applications]"]
        out.append(f"{mime}={entry}")
    mimeapps.parent.mkdir(parents=True, exist_ok=True)
    mimeapps.write_text("\n".join(out) + "\n", encoding="utf-8")


def install_desktop() -> list[Path]:
    """Write the entries and the link handler; the files written."""
    folder = _data_home() / "applications"
    folder.mkdir(parents=True, exist_ok=True)
    join = folder / JOIN_ENTRY
    join.write_text(
        _entry(
            "Helpline",
            "Join a remote support session with the code your support person gives you",
            _exec("join", "--gui", "%u"),
            handler=True,
        ),
        encoding="utf-8",
    )
    console = folder / CONSOLE_ENTRY
    console.write_text(
        _entry(
            "Helpline console",
            "Start and run remote support sessions (for support staff)",
            _exec("console"),
            handler=False,
        ),
        encoding="utf-8",
    )
    mimeapps = _config_home() / "mimeapps.list"
    _set_default(mimeapps, SCHEME_TYPE, JOIN_ENTRY)
    return [join, console, mimeapps]
