"""The system information report this machine would send: complete, bounded, safe."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from codec import SysinfoReport, decode_message, encode_message, render_report
from peer._sysinfo import collect_report

if TYPE_CHECKING:
    import pytest


def test_the_report_names_what_the_spec_lists_and_survives_the_wire() -> None:
    sections = collect_report()
    titles = [s.title for s in sections]
    assert titles == ["System", "Processor", "Memory", "Disks", "Displays", "Network adapters"]
    labels = {(s.title, i.label) for s in sections for i in s.items}
    for wanted in [
        ("System", "OS"),
        ("System", "OS version"),
        ("System", "Hostname"),
        ("System", "Uptime"),
        ("System", "Helpline version"),
        ("Processor", "Model"),
        ("Processor", "Cores"),
        ("Memory", "Total"),
        ("Network adapters", "lo"),
    ]:
        assert wanted in labels
    assert any(i.value.endswith(")") and " free of " in i.value for i in sections[3].items)
    report = SysinfoReport(1, sections)
    assert decode_message(encode_message(report)) == report


def test_a_hostile_hostname_is_shown_not_obeyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "pc\x1b[2J\x1b]0;pwned\x07" + "x" * 900)
    lines = render_report(collect_report())
    hostname = next(line for line in lines if line.startswith("  Hostname: "))
    assert hostname.startswith("  Hostname: pc\\x1b[2J\\x1b]0;pwned\\x07xxx")
    assert hostname.endswith("…")
    assert len(hostname) < 420
    report = SysinfoReport(1, collect_report())
    assert decode_message(encode_message(report)) == report
