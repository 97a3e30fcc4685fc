"""``helpline install-desktop``: entries in the user's own folders, helpline: links handled."""

from __future__ import annotations

import configparser
import shlex
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from peer._desktop_entry import install_desktop
from peer.gui import link_relay

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def read(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser


def test_the_join_entry_handles_helpline_links_with_the_window(home: Path) -> None:
    install_desktop()
    entry = read(home / "data" / "applications" / "helpline.desktop")["Desktop Entry"]
    assert entry["MimeType"] == "x-scheme-handler/helpline;"
    assert entry["Terminal"] == "false"
    argv = shlex.split(entry["Exec"])
    assert argv[0] == sys.executable
    assert argv[1:] == ["-m", "peer", "join", "--gui", "%u"]
    console = read(home / "data" / "applications" / "helpline-console.desktop")
    assert shlex.split(console["Desktop Entry"]["Exec"])[1:] == ["-m", "peer", "console"]


def test_links_default_to_helpline_and_other_defaults_are_kept(home: Path) -> None:
    mimeapps = home / "config" / "mimeapps.list"
    mimeapps.parent.mkdir(parents=True)
    mimeapps.write_text(
        "[Default Applications]\ntext/html=firefox.desktop\n"
        "x-scheme-handler/helpline=old.desktop\n\n[Added Associations]\nimage/png=gimp.desktop\n"
    )
    install_desktop()
    install_desktop()  # twice: still one line
    lists = read(mimeapps)
    assert lists["Default Applications"]["x-scheme-handler/helpline"] == "helpline.desktop"
    assert lists["Default Applications"]["text/html"] == "firefox.desktop"
    assert lists["Added Associations"]["image/png"] == "gimp.desktop"
    assert mimeapps.read_text().count("x-scheme-handler/helpline") == 1


def test_the_command_writes_only_under_the_users_folders(home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "peer", "install-desktop"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "helpline: join links now open its window" in done.stdout
    written = sorted(p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file())
    assert written == [
        "config/mimeapps.list",
        "data/applications/helpline-console.desktop",
        "data/applications/helpline.desktop",
    ]


def test_a_link_without_a_code_names_only_the_relay() -> None:
    assert link_relay("helpline://relay.example:8765?tls=off") == "ws://relay.example:8765"
    assert link_relay("helpline://relay.example") == "wss://relay.example"
    assert link_relay("helpline://relay.example:8765/4821-9376-309-3617?tls=off") is None
    assert link_relay("https://relay.example") is None
