"""What this machine is: the system information report a customer may send (SPEC I1).

:func:`collect_report` gathers OS and version, hostname, CPU model and
cores, memory, disks with free space, displays, network adapters with
addresses, uptime and the Helpline version, as :class:`codec.SysinfoSection`
values already made safe and bounded (:func:`codec.neutralise`), so what
the customer is shown is byte for byte what would be sent.

The standard library covers the OS; psutil covers memory, disks, adapters
and uptime the same way on Linux, macOS and Windows. Displays come from the
X server through mss when one is reachable, else from the kernel's DRM
connectors on Linux.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import time
from importlib import metadata
from pathlib import Path

import psutil

from codec import (
    MAX_ITEMS,
    MAX_SECTIONS,
    SysinfoItem,
    SysinfoSection,
    neutralise,
)

__all__ = ["collect_report"]

_LABEL_CHARS = 64
_VALUE_CHARS = 400
#: Adapters and disks beyond these are summarised: a report stays readable.
_MAX_DISKS = 24
_MAX_ADAPTERS = 24


def collect_report() -> tuple[SysinfoSection, ...]:
    """This machine's report; blocking (it reads /proc and friends), so run it in a thread."""
    sections = [
        ("System", _system()),
        ("Processor", _cpu()),
        ("Memory", _memory()),
        ("Disks", _disks()),
        ("Displays", _displays()),
        ("Network adapters", _adapters()),
    ]
    out, budget = [], MAX_ITEMS
    for title, items in sections[:MAX_SECTIONS]:
        kept = tuple(
            SysinfoItem(neutralise(label, _LABEL_CHARS), neutralise(value, _VALUE_CHARS))
            for label, value in items[:budget]
        )
        budget -= len(kept)
        out.append(SysinfoSection(title, kept))
    return tuple(out)


def _system() -> list[tuple[str, str]]:
    items = [("OS", f"{platform.system()} {platform.release()}".strip())]
    with contextlib.suppress(OSError):
        pretty = platform.freedesktop_os_release().get("PRETTY_NAME")
        if pretty:
            items.append(("Distribution", pretty))
    items += [
        ("OS version", platform.version()),
        ("Architecture", platform.machine()),
        ("Hostname", socket.gethostname()),
        ("Uptime", _duration(time.time() - psutil.boot_time())),
        ("Helpline version", _helpline_version()),
    ]
    return items


def _helpline_version() -> str:
    try:
        return metadata.version("helpline")
    except metadata.PackageNotFoundError:
        return "unknown (not installed as a package)"


def _cpu() -> list[tuple[str, str]]:
    physical = psutil.cpu_count(logical=False)
    logical = psutil.cpu_count(logical=True)
    cores = f"{physical or '?'} physical, {logical or '?'} logical"
    return [("Model", _cpu_model()), ("Cores", cores)]


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        for line in cpuinfo.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Hardware", "Processor") and value.strip():
                return value.strip()
    return platform.processor() or platform.machine() or "unknown"


def _memory() -> list[tuple[str, str]]:
    memory = psutil.virtual_memory()
    return [("Total", _size(memory.total)), ("Available", _size(memory.available))]


def _disks() -> list[tuple[str, str]]:
    items, seen = [], set()
    for part in psutil.disk_partitions(all=False):
        if part.device in seen:
            continue
        seen.add(part.device)
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:
            continue
        items.append(
            (
                part.mountpoint,
                f"{_size(usage.free)} free of {_size(usage.total)} ({part.fstype or 'unknown'},"
                f" {part.device})",
            )
        )
    if len(items) > _MAX_DISKS:
        items = [*items[:_MAX_DISKS], ("…", f"{len(items) - _MAX_DISKS} more not listed")]
    return items or [("Found", "none")]


def _displays() -> list[tuple[str, str]]:
    return _x_displays() or _drm_displays() or [("Found", "none")]


def _x_displays() -> list[tuple[str, str]]:
    if not os.environ.get("DISPLAY"):
        return []
    try:
        import mss  # optional: only where screen capture is installed
    except ImportError:
        return []
    try:
        with mss.mss() as screens:
            monitors = screens.monitors[1:]
    except Exception:  # any X failure means "cannot tell", not a crash
        return []
    return [
        (f"Display {n}", f"{m['width']}x{m['height']} at {m['left']},{m['top']}")
        for n, m in enumerate(monitors, start=1)
    ]


def _drm_displays() -> list[tuple[str, str]]:
    items = []
    root = Path("/sys/class/drm")
    with contextlib.suppress(OSError):
        for connector in sorted(root.glob("card*-*")):
            status = _read(connector / "status")
            if status != "connected":
                continue
            modes = (_read(connector / "modes") or "").split()
            name = connector.name.split("-", 1)[1]
            items.append((name, modes[0] if modes else "connected"))
    return items


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _adapters() -> list[tuple[str, str]]:
    stats = psutil.net_if_stats()
    items = []
    for name, addresses in sorted(psutil.net_if_addrs().items()):
        shown = []
        for address in addresses:
            if address.family == socket.AF_INET:
                shown.append(f"IPv4 {address.address}")
            elif address.family == socket.AF_INET6:
                shown.append(f"IPv6 {address.address}")
            elif address.family == psutil.AF_LINK and address.address:
                shown.append(f"MAC {address.address}")
        state = stats.get(name)
        up = "up" if state is not None and state.isup else "down"
        items.append((name, f"{up}; " + (", ".join(shown) or "no addresses")))
    if len(items) > _MAX_ADAPTERS:
        items = [*items[:_MAX_ADAPTERS], ("…", f"{len(items) - _MAX_ADAPTERS} more not listed")]
    return items or [("Found", "none")]


def _size(count: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _duration(seconds: float) -> str:
    minutes = int(seconds) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{days} d " if days else "") + f"{hours} h {minutes} min"
