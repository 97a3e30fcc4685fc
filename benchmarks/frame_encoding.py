"""Frame encoding: Helpline's screen codec against whole-frame PNG and VNC-style zlib tiles.

Generates its own deterministic 1920x1080 corpus (``_screen_corpus.py``) and,
per scenario, reports for the delta frames (every frame after the first):
median bytes per frame, median encode and decode milliseconds per frame,
and the same figures for two baselines measured in the same run on the same
frames:

* ``png`` - every frame as a PNG (Pillow, default settings);
* ``zlib_tiles`` - VNC's Zlib idea: every 64x64 tile that changed, raw BGR,
  through one zlib stream per connection flushed each frame.

Timings are CPU time of this process (``time.process_time``: on a shared
machine, wall-clock time mostly measures the neighbours), medians over the
frames, then the median of ``--runs`` runs, all in one thread. Frames are
captured 1/10 s apart (``FPS``): that is the clock lossy refreshes go by. Every
scenario runs the codec twice: lossless (checked exact in every frame) and
with lossy regions on, where it also reports the PSNR inside the scenario's
photographic picture, the count of inexact pixels outside it (must be 0:
text and interface are never lossy), and how many still frames after the
last one pass before the whole screen is exact. The codec is fed BGRA captures
by default; ``--bgr`` feeds it the BGR frames peer's sharer keeps (converted
only where X DAMAGE says something was drawn), so the whole-frame conversion
is then outside the encode time, as it is in the program.

    .venv/bin/python benchmarks/frame_encoding.py [--frames 30] [--runs 3] [--quick] [--bgr]
                                                  [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._screen_corpus import SCENARIOS, Shot
from codec import ScreenDecoder, ScreenEncoder

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

Frames = list["NDArray[np.uint8]"]
Figures = dict[str, float]
_TILE = 64


def _medians(sizes: list[int], encode: list[float], decode: list[float]) -> Figures:
    return {
        "bytes_per_frame": float(statistics.median(sizes)),
        "encode_ms": statistics.median(encode) * 1000,
        "decode_ms": statistics.median(decode) * 1000,
    }


#: Capture rate the frames are timed at: the encoder refreshes lossy pixels by time.
FPS = 10
#: Still frames replayed after a lossy run: one second at :data:`FPS`.
SETTLE_FRAMES = FPS


def run_codec(
    shots: list[Shot], *, lossy: bool, bgr: bool = False
) -> tuple[Figures, dict[str, Any]]:
    frames = [shot.frame for shot in shots]
    if bgr:
        # As peer's sharer hands them over: its own BGR copy of the screen, which it
        # updates only where X DAMAGE says something was drawn.
        frames = [np.ascontiguousarray(frame[..., :3]) for frame in frames]
    encoder = ScreenEncoder(frames[0].shape[1], frames[0].shape[0], lossy=lossy)
    decoder = ScreenDecoder()
    sizes, encode, decode = [], [], []
    inexact, psnr = 0, []
    for i, (frame, shot) in enumerate(zip(frames, shots, strict=True)):
        t0 = time.process_time()
        messages = encoder.encode(frame, now=i / FPS)
        t1 = time.process_time()
        for message in messages:
            decoder.feed(message)
        t2 = time.process_time()
        fb, expected = decoder.framebuffer, frame[..., :3]
        if not lossy:
            if not np.array_equal(fb, expected):
                raise AssertionError(f"lossless decode differs from frame {i}")
        else:
            wrong = (fb != expected).any(axis=2)
            picture = shot.picture if shot.picture is not None else np.zeros_like(wrong)
            inexact += int(np.count_nonzero(wrong & ~picture))
            if picture.any() and i:
                err = fb[picture].astype(np.float64) - expected[picture]
                mse = float(np.mean(err**2))
                psnr.append(99.0 if mse == 0 else 10 * np.log10(255**2 / mse))
        if i:
            sizes.append(sum(len(m) for m in messages))
            encode.append(t1 - t0)
            decode.append(t2 - t1)
    extra: dict[str, Any] = {}
    if lossy:
        settled = None
        for still in range(1, SETTLE_FRAMES + 1):
            for message in encoder.encode(frames[-1], now=(len(frames) - 1 + still) / FPS):
                decoder.feed(message)
            if np.array_equal(decoder.framebuffer, frames[-1][..., :3]):
                settled = still
                break
        extra = {
            "inexact_outside_picture": inexact,
            "picture_psnr_db": round(float(statistics.median(psnr)), 1) if psnr else None,
            "exact_after_still_frames": settled,
        }
    return _medians(sizes, encode, decode), extra


def run_png(frames: Frames) -> Figures:
    sizes, encode, decode = [], [], []
    for frame in frames[1:]:
        t0 = time.process_time()
        image = Image.frombytes("RGB", (frame.shape[1], frame.shape[0]), frame, "raw", "BGRX")
        out = io.BytesIO()
        image.save(out, "PNG")
        t1 = time.process_time()
        with Image.open(io.BytesIO(out.getvalue())) as decoded:
            decoded.load()
        t2 = time.process_time()
        sizes.append(out.tell())
        encode.append(t1 - t0)
        decode.append(t2 - t1)
    return _medians(sizes, encode, decode)


def run_zlib_tiles(frames: Frames) -> Figures:
    h, w = frames[0].shape[:2]
    rows, cols = -(-h // _TILE), -(-w // _TILE)
    compressor, decompressor = zlib.compressobj(6), zlib.decompressobj()
    previous = np.zeros((h, w, 3), dtype=np.uint8)
    fb = np.zeros((h, w, 3), dtype=np.uint8)
    sizes, encode, decode = [], [], []
    for i, frame in enumerate(frames):
        t0 = time.process_time()
        cur = np.asarray(Image.frombytes("RGB", (w, h), frame, "raw", "RGBX"))
        padded = np.zeros((rows * _TILE, cols * _TILE), dtype=bool)
        padded[:h, :w] = (cur != previous).any(axis=2)
        changed = np.argwhere(padded.reshape(rows, _TILE, cols, _TILE).any(axis=(1, 3)))
        chunks = []
        for ty, tx in changed:
            tile = cur[ty * _TILE : (ty + 1) * _TILE, tx * _TILE : (tx + 1) * _TILE]
            chunks.append(compressor.compress(np.ascontiguousarray(tile).tobytes()))
        payload = b"".join(chunks) + compressor.flush(zlib.Z_SYNC_FLUSH)
        header = changed.astype(np.uint16).tobytes()
        previous = cur
        t1 = time.process_time()
        raw = decompressor.decompress(payload)
        pos = 0
        for ty, tx in np.frombuffer(header, dtype=np.uint16).reshape(-1, 2).tolist():
            tile_view = fb[ty * _TILE : (ty + 1) * _TILE, tx * _TILE : (tx + 1) * _TILE]
            size = tile_view.size
            tile_view[...] = np.frombuffer(raw, np.uint8, size, pos).reshape(tile_view.shape)
            pos += size
        t2 = time.process_time()
        if i:
            sizes.append(len(payload) + len(header) + 4)
            encode.append(t1 - t0)
            decode.append(t2 - t1)
    return _medians(sizes, encode, decode)


def _median_runs(runner: Callable[[], Figures], runs: int) -> Figures:
    results = [runner() for _ in range(runs)]
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def measure(frames_per_scenario: int, runs: int, *, bgr: bool = False) -> dict[str, Any]:
    scenarios: dict[str, Any] = {}
    for name, scenario in SCENARIOS.items():
        shots = list(scenario(frames_per_scenario))
        frames = [shot.frame for shot in shots]
        result: dict[str, Any] = {}
        for mode, lossy in (("lossless", False), ("lossy", True)):
            extras: list[dict[str, Any]] = []

            def codec_run(
                lossy: bool = lossy,
                extras: list[dict[str, Any]] = extras,
                shots: list[Shot] = shots,
            ) -> Figures:
                figures, extra = run_codec(shots, lossy=lossy, bgr=bgr)
                extras.append(extra)
                return figures

            result[mode] = _median_runs(codec_run, runs) | extras[0]
        result["baselines"] = {
            "png": _median_runs(lambda frames=frames: run_png(frames), runs),  # type: ignore[misc]
            "zlib_tiles": _median_runs(lambda frames=frames: run_zlib_tiles(frames), runs),  # type: ignore[misc]
        }
        scenarios[name] = result
    return {"scenarios": scenarios}


def _size(n: float) -> str:
    return f"{n:.0f} B" if n < 10_000 else f"{n / 1024:.1f} KB"


def _row(figures: Figures) -> str:
    return (
        f"{_size(figures['bytes_per_frame']):>9} "
        f"{figures['encode_ms']:>6.1f} {figures['decode_ms']:>6.1f}"
    )


def print_table(report: dict[str, Any]) -> None:
    codec = f"{'B/frame':>9} {'enc ms':>6} {'dec ms':>6}"
    head = (
        f"{'scenario':<8} {'mode':<10} | {codec} | {'PSNR dB':>7} {'inexact':>7} {'exact':>5} | "
        f"{'vs png':>7} {'vs zlib':>7}"
    )
    print(head)
    print("-" * len(head))
    for name, r in report["scenarios"].items():
        rows = [("lossless", r["lossless"]), ("lossy", r["lossy"])]
        rows += [(base, figures) for base, figures in r["baselines"].items()]
        png, tiles = r["baselines"]["png"], r["baselines"]["zlib_tiles"]
        for mode, figures in rows:
            quality = f"{'':>7} {'':>7} {'':>5}"
            ratios = ""
            if mode in ("lossless", "lossy"):
                ours = max(figures["bytes_per_frame"], 1.0)
                vs_png, vs_zlib = png["bytes_per_frame"] / ours, tiles["bytes_per_frame"] / ours
                ratios = f"{vs_png:>6.0f}x {vs_zlib:>6.0f}x"
            if mode == "lossy":
                psnr = figures["picture_psnr_db"]
                settled = figures["exact_after_still_frames"]
                quality = (
                    f"{'-' if psnr is None else psnr:>7} {figures['inexact_outside_picture']:>7} "
                    f"{'never' if settled is None else settled:>5}"
                )
            label = name if mode == "lossless" else ""
            print(f"{label:<8} {mode:<10} | {_row(figures)} | {quality} | {ratios}")
    print(
        "PSNR: inside the picture (photographic pixels); inexact: pixels outside it that\n"
        "differ, summed over all frames (must be 0); exact: still frames until the whole\n"
        "screen is exact after the last frame (must be <= 10, one second at 10 fps)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=30, help="delta frames per scenario")
    parser.add_argument("--runs", type=int, default=3, help="timing runs; the median is reported")
    parser.add_argument("--quick", action="store_true", help="10 frames, 1 run")
    parser.add_argument(
        "--bgr",
        action="store_true",
        help="feed the codec BGR frames (what peer's sharer keeps) instead of BGRA captures",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of a table"
    )
    args = parser.parse_args()
    frames, runs = (10, 1) if args.quick else (args.frames, args.runs)
    report = measure(frames, runs, bgr=args.bgr)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        source = "BGR frames, as the sharer hands them" if args.bgr else "BGRA captures"
        print(
            f"1920x1080, {frames} delta frames per scenario, median of {runs} run(s), "
            f"one thread, codec fed {source}"
        )
        print_table(report)


if __name__ == "__main__":
    main()
