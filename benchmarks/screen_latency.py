"""Screen latency: from a change on the customer's display to that change in the rep's view.

A private Xvfb at 1920x1080 runs a Tk document and a small window; a script
changes them 10 times a second — the document scrolls, text is typed, the
window is dragged — then leaves them idle. The customer is a separate
process (so its CPU time is its own), joined through a relay process on
loopback; the rep is this process. For each change it times the moment the
change is drawn until the rep's framebuffer equals the display, and counts
the screen bytes and the customer's CPU time.

Two customers run the same script in the same run:

* ``codec`` — Helpline's sharing: consent, credit, X DAMAGE, the screen codec;
* ``png`` — the baseline: a full-screen grab per change, sent as PNG.

Figures are medians over ``--runs`` runs; the machine is shared, so treat
them as rough.

    .venv/bin/python benchmarks/screen_latency.py [--runs 3] [--steps 20] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import psutil
import trio
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codec import Activity, JoinTarget, ScreenUpdate, SessionCode
from peer._capture import MssSource
from peer._console import Console, open_console
from peer._events import MemberJoined, MessageReceived
from peer._open import open_hosted_session, open_joined_session
from peer._server_process import open_embedded_relay
from peer._share_backends import x11_backends
from peer._share_customer import CustomerSharing
from peer._share_events import ConsentAsked, ViewOpened
from peer._share_rep import RepSharing
from peer._x11 import DamageWatcher
from tests.x11.xvfb import open_xvfb

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from numpy.typing import NDArray

    from peer._host import HostSession

SCENARIOS = ("scroll", "type", "drag")
RATE = 10.0  # changes per second
IDLE_SECONDS = 3.0
WAIT = 20.0


# The customer, as its own process ----------------------------------------------------


async def customer_main(relay: str, code: str, mode: str, display: str) -> None:
    target = JoinTarget(relay, SessionCode.parse(code))
    async with open_joined_session(target, "Jo") as session:
        if mode == "codec":
            sharing = CustomerSharing(session, x11_backends(display), answer_timeout=60.0)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(sharing.run)

                async def answer() -> None:
                    async for event in sharing.events:
                        if isinstance(event, ConsentAsked):
                            await sharing.answer("y")  # the person at the keyboard says yes

                nursery.start_soon(answer)
                async for event in session.events:
                    if isinstance(event, MessageReceived):
                        await sharing.receive(event.sender, event.message)
        else:
            await png_pusher(session, display)


async def png_pusher(session: Any, display: str) -> None:
    """The baseline: on every change, the whole screen as one PNG."""
    source, changes = MssSource(display), DamageWatcher(display)
    rep = session.host_id

    def shot() -> bytes:
        frame = source.grab(source.bounds())
        out = io.BytesIO()
        Image.frombytes(
            "RGB", (frame.shape[1], frame.shape[0]), frame.tobytes(), "raw", "BGRX"
        ).save(out, "PNG")
        return out.getvalue()

    await session.send_message(rep, ScreenUpdate(await trio.to_thread.run_sync(shot)))
    while True:
        await changes.wait_change()
        await session.send_message(rep, ScreenUpdate(await trio.to_thread.run_sync(shot)))


# The rep, here ----------------------------------------------------------------------


class Watcher:
    """The rep's framebuffer as it changes, with the time of each complete frame.

    The time is taken when a frame completes; comparing it with the display
    happens afterwards, so the benchmark's own checking is not counted.
    """

    def __init__(self) -> None:
        self.picture: NDArray[np.uint8] | None = None
        #: How the picture orders its channels: the codec decodes BGR, PNG gives RGB.
        self.rgb = False
        self.at = 0.0
        self.bytes = 0
        self.changed = trio.Event()

    def show(self, picture: NDArray[np.uint8], *, rgb: bool) -> None:
        self.picture, self.rgb, self.at = picture, rgb, trio.current_time()
        self.changed.set()
        self.changed = trio.Event()

    def matches(self, display: NDArray[np.uint8]) -> bool:
        """Does the picture equal the display's BGRA grab *display*?"""
        if self.picture is None or self.picture.shape[:2] != display.shape[:2]:
            return False
        expected = display[..., 2::-1] if self.rgb else display[..., :3]
        return bool(np.array_equal(self.picture, expected))

    async def until(self, expected: NDArray[np.uint8], within: float = WAIT) -> float:
        with trio.fail_after(within):
            while not self.matches(expected):
                await self.changed.wait()
        return self.at

    async def until_display(self, display: str) -> float:
        """When the view first equals the display; the display is read again if a grab
        caught it mid-drawing (another client's requests may still be queued)."""
        with trio.fail_after(WAIT):
            while True:
                expected = await trio.to_thread.run_sync(grab, display)
                try:
                    return await self.until(expected, within=1.0)
                except trio.TooSlowError:
                    if self.picture is not None and self.picture.shape[:2] == expected.shape[:2]:
                        want = expected[..., 2::-1] if self.rgb else expected[..., :3]
                        ys, xs = np.nonzero((self.picture != want).any(axis=2))
                        print(
                            f"  (still differs: {ys.size} px in x {xs.min()}-{xs.max()}, "
                            f"y {ys.min()}-{ys.max()})",
                            file=sys.stderr,
                        )


async def pump(rep: HostSession, mode: str, watcher: Watcher, sharing: RepSharing) -> None:
    async for event in rep.events:
        if not isinstance(event, MessageReceived):
            continue
        if isinstance(event.message, ScreenUpdate):
            watcher.bytes += len(event.message.data)
        if mode == "codec":
            await sharing.receive(event.sender, event.message)
            view = sharing.view
            if (
                view is not None
                and view.decoder.frame_complete
                and isinstance(event.message, ScreenUpdate)
            ):
                watcher.show(view.decoder.framebuffer, rgb=False)
        elif isinstance(event.message, ScreenUpdate):
            image = Image.open(io.BytesIO(event.message.data)).convert("RGB")
            watcher.show(np.asarray(image), rgb=True)


def grab(display: str) -> NDArray[np.uint8]:
    """The display as BGRA."""
    source = MssSource(display)
    try:
        return np.array(source.grab(source.bounds()))
    finally:
        source.close()


@asynccontextmanager
async def open_customer(relay: str, code: str, mode: str, display: str) -> AsyncIterator[Console]:
    argv = [sys.executable, __file__, "--customer", relay, code, mode, display]
    async with open_console(f"customer-{mode}", argv, env={"DISPLAY": display}) as console:
        yield console


async def one_run(
    relay: str, display: str, activity: Console, mode: str, steps: int
) -> dict[str, Any]:
    async with open_hosted_session(relay, "Dana") as rep:
        async with open_customer(relay, str(rep.code), mode, display) as customer:
            with trio.fail_after(WAIT):
                async for event in rep.events:
                    if isinstance(event, MemberJoined):
                        break
            process = psutil.Process(customer.process.pid)
            watcher = Watcher()
            sharing = RepSharing(rep, x11_backends(display))
            async with trio.open_nursery() as nursery:
                nursery.start_soon(sharing.run)
                nursery.start_soon(pump, rep, mode, watcher, sharing)
                if mode == "codec":
                    customer_member = rep.members[next(m for m in rep.members if m != rep.id)]
                    await sharing.ask(customer_member, Activity.VIEW_DESKTOP)
                    with trio.fail_after(WAIT):
                        async for share_event in sharing.events:
                            if isinstance(share_event, ViewOpened):
                                break
                await watcher.until_display(display)
                result: dict[str, Any] = {}
                for scenario in SCENARIOS:
                    result[scenario] = await measure(
                        activity, display, watcher, process, scenario, steps
                    )
                result["idle"] = await measure_idle(watcher, process)
                nursery.cancel_scope.cancel()
    return result


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def measure(
    activity: Console,
    display: str,
    watcher: Watcher,
    process: psutil.Process,
    scenario: str,
    steps: int,
) -> dict[str, float]:
    latencies: list[float] = []
    bytes0, cpu0 = watcher.bytes, cpu_seconds(process)
    next_tick = trio.current_time()
    for _ in range(steps):
        await trio.sleep_until(next_tick)
        next_tick += 1 / RATE
        await activity.send(scenario)
        await activity.expect(r"^done$")
        drawn = trio.current_time()
        complete = await watcher.until_display(display)
        latencies.append(max(0.0, complete - drawn))
    await trio.sleep(0.3)  # let the last frame's work finish before reading the CPU clock
    latencies.sort()
    return {
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
        "bytes_per_change": (watcher.bytes - bytes0) / steps,
        "cpu_ms_per_change": 1000 * (cpu_seconds(process) - cpu0) / steps,
    }


async def measure_idle(watcher: Watcher, process: psutil.Process) -> dict[str, float]:
    bytes0, cpu0 = watcher.bytes, cpu_seconds(process)
    await trio.sleep(IDLE_SECONDS)
    return {
        "cpu_percent": 100 * (cpu_seconds(process) - cpu0) / IDLE_SECONDS,
        "bytes": float(watcher.bytes - bytes0),
    }


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        key: {field: statistics.median(run[key][field] for run in runs) for field in runs[0][key]}
        for key in runs[0]
    }


async def bench(runs: int, steps: int) -> dict[str, Any]:
    with open_xvfb(1920, 1080) as display:
        argv = [sys.executable, "-m", "benchmarks._activity"]
        async with (
            open_embedded_relay() as relay,
            open_console("activity", argv, env={"DISPLAY": display}) as activity,
        ):
            await activity.expect(r"^ready$")
            out: dict[str, Any] = {}
            for mode in ("codec", "png"):
                out[mode] = median_of(
                    [await one_run(relay, display, activity, mode, steps) for _ in range(runs)]
                )
            return out


def report(figures: dict[str, Any]) -> None:
    codec, png = figures["codec"], figures["png"]
    print("Screen latency through a loopback relay, Xvfb 1920x1080, 10 changes/s")
    print("(shared 2-core machine: rough figures)")
    header = f"{'':8} {'':6} {'p50 ms':>8} {'p95 ms':>8} {'B/change':>10} {'CPU ms/chg':>11}"
    print(header)
    for scenario in SCENARIOS:
        for mode, data in (("codec", codec), ("png", png)):
            d = data[scenario]
            print(
                f"{scenario:8} {mode:6} {d['p50_ms']:8.1f} {d['p95_ms']:8.1f} "
                f"{d['bytes_per_change']:10.0f} {d['cpu_ms_per_change']:11.2f}"
            )
        c, p = codec[scenario], png[scenario]
        print(
            f"{'':8} {'ratio':6} {p['p50_ms'] / max(c['p50_ms'], 1e-9):7.1f}x "
            f"{p['p95_ms'] / max(c['p95_ms'], 1e-9):7.1f}x "
            f"{p['bytes_per_change'] / max(c['bytes_per_change'], 1):9.1f}x "
            f"{p['cpu_ms_per_change'] / max(c['cpu_ms_per_change'], 1e-9):10.1f}x  (png / codec)"
        )
    for mode, data in (("codec", codec), ("png", png)):
        idle = data["idle"]
        print(
            f"idle     {mode:6} CPU {idle['cpu_percent']:.2f} % of a core, "
            f"{idle['bytes']:.0f} bytes in {IDLE_SECONDS:.0f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--customer", nargs=4, metavar=("RELAY", "CODE", "MODE", "DISPLAY"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.customer:
        os.environ["DISPLAY"] = args.customer[3]
        trio.run(customer_main, *args.customer)
        return
    figures = trio.run(bench, args.runs, args.steps)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        report(figures)


if __name__ == "__main__":
    main()
