"""How fast a file moves end to end, compared with a plain local copy.

Runs a real relay (``python -m relay --port 0``), a rep (``helpline start``)
and a customer (``helpline join``) as three processes on loopback. The rep
shares a file of ``--size-mib`` MiB (default 1024) and the customer
downloads it (``/share``, ``/get 1``) exactly as a person would: read,
sha256, encrypt, relay, decrypt, write, sha256, verify, rename. The clock
runs from ``/get 1`` to the line saying the file is complete and verified.
In the same run, a plain local copy of the same file (``shutil.copyfile``)
is the ceiling; the ratio says how close the transfer comes to it.

Figures are MB/s (MB = 10**6 bytes), the median of ``--runs`` runs, and the
peak resident memory (VmHWM) of the rep, the customer and the relay. All
three processes and the copy share the machine's cores with whatever else
runs, so the absolute figures are noisy; compare the ratio.

    python benchmarks/file_transfer.py [--size-mib 1024] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import trio

from peer._console import Console, open_console, python_command
from peer._server_process import open_server_process

MIB = 1024 * 1024
#: One transfer of the default size finishes well within this on a slow machine.
RUN_LIMIT = 600.0


def make_file(path: Path, size: int) -> None:
    block = os.urandom(MIB)
    with path.open("wb") as f:
        for _ in range(size // MIB):
            f.write(block)
        f.write(block[: size % MIB])


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def local_copy(source: Path, target: Path) -> float:
    """Seconds for a plain copy, flushed to the page cache like the transfer's."""
    start = time.perf_counter()
    shutil.copyfile(source, target)
    elapsed = time.perf_counter() - start
    target.unlink()
    return elapsed


#: Runs a module under cProfile timing the main thread's CPU (not the wall clock,
#: which counts the time the machine gave to other processes).
_PROFILED = """
import cProfile, runpy, sys, time
out, sys.argv = sys.argv[1], sys.argv[2:]
profile = cProfile.Profile(time.thread_time)
try:
    profile.runcall(runpy.run_module, sys.argv[0], run_name="__main__", alter_sys=True)
except SystemExit:
    pass
finally:
    profile.dump_stats(out)
"""


def command(module: str, args: list[str], profile: Path | None, label: str) -> list[str]:
    """``python -m module args``, under cProfile writing *profile*/label.prof if asked."""
    if profile is None:
        return python_command(module, *args)
    return [sys.executable, "-c", _PROFILED, str(profile / f"{label}.prof"), module, *args]


async def one_transfer(
    relay: str, relay_pid: int, source: Path, into: Path, env: dict[str, str], profile: Path | None
) -> dict[str, Any]:
    rep_args = ["start", "--relay", relay, "--name", "Alice", "--download-dir", str(into)]
    async with open_console("rep", command("peer", rep_args, profile, "rep"), env=env) as rep:
        code = (await rep.expect(r"^Session code: (\S+)$", within=30)).group(1)
        join_args = ["join", code, "--relay", relay, "--name", "Bob", "--download-dir", str(into)]
        bob_command = command("peer", join_args, profile, "customer")
        async with open_console("customer", bob_command, env=env) as bob:
            await rep.expect(r"^\* Bob joined", within=30)
            await rep.send(f'/share "{source}"')
            await bob.expect(r"^\* Alice shares", within=30)
            pids = {"rep": rep.process.pid, "customer": bob.process.pid, "relay": relay_pid}
            cpu = {k: cpu_seconds(pid) for k, pid in pids.items()}
            start = time.perf_counter()
            await bob.send("/get 1")
            await bob.expect(r"complete, verified", within=RUN_LIMIT)
            elapsed = time.perf_counter() - start
            cpu = {f"cpu_{k}": cpu_seconds(pid) - cpu[k] for k, pid in pids.items()}
            rss = {"rep": peak_rss_mib(rep.process.pid), "customer": peak_rss_mib(bob.process.pid)}
            await _quit(rep, bob)
    (into / source.name).unlink()
    return {"seconds": elapsed, **rss, **cpu}


async def _quit(rep: Console, bob: Console) -> None:
    await bob.send("/quit")
    await bob.wait_exit(30)
    await rep.send("/end")
    await rep.send("")  # no end-of-session note
    await rep.wait_exit(30)


async def run(size: int, runs: int, profile: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="helpline-bench-") as tmp:
        folder = Path(tmp)
        source = folder / "payload.bin"
        make_file(source, size)
        into = folder / "downloads"
        into.mkdir()
        env = {"HELPLINE_CONFIG": str(folder / "none.toml"), "HELPLINE_RELAY": ""}
        env["HELPLINE_HISTORY"] = str(folder / "history.sqlite")
        relay_command = command("relay", ["--host", "127.0.0.1", "--port", "0"], profile, "relay")
        transfers, copies = [], []
        async with open_server_process(relay_command) as (relay_process, relay):
            for _ in range(runs):
                copies.append(local_copy(source, folder / "copy.bin"))
                transfers.append(
                    await one_transfer(relay, relay_process.pid, source, into, env, profile)
                )
            relay_rss = peak_rss_mib(relay_process.pid)
    transfer_s = statistics.median(t["seconds"] for t in transfers)
    copy_s = statistics.median(copies)
    return {
        "size_mib": size / MIB,
        "runs": runs,
        "transfer_mb_s": size / transfer_s / 1e6,
        "local_copy_mb_s": size / copy_s / 1e6,
        "ratio": copy_s / transfer_s,
        "cpu_seconds": {
            k: statistics.median(t[f"cpu_{k}"] for t in transfers)
            for k in ("rep", "customer", "relay")
        },
        "peak_rss_mib": {
            "rep": max(t["rep"] for t in transfers),
            "customer": max(t["customer"] for t in transfers),
            "relay": relay_rss,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="run each process under cProfile into DIR"
    )
    args = parser.parse_args()
    result = trio.run(run, args.size_mib * MIB, args.runs, args.profile)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    rss = result["peak_rss_mib"]
    print(f"file transfer, {result['size_mib']:.0f} MiB, median of {result['runs']} runs")
    print(f"  end to end (encrypted, verified): {result['transfer_mb_s']:8.1f} MB/s")
    print(f"  plain local copy (ceiling):       {result['local_copy_mb_s']:8.1f} MB/s")
    print(f"  transfer / copy:                  {result['ratio']:8.3f}")
    cpu = result["cpu_seconds"]
    wall = result["size_mib"] * MIB / 1e6 / result["transfer_mb_s"]
    print(
        f"  CPU seconds: rep {cpu['rep']:.1f}, customer {cpu['customer']:.1f}, "
        f"relay {cpu['relay']:.1f}, in {wall:.1f} s of wall time"
    )
    print(
        f"  peak RSS: rep {rss['rep']:.0f} MiB, customer {rss['customer']:.0f} MiB, "
        f"relay {rss['relay']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
