"""A crowd at the booth: the real app server on loopback, N visitors drawing on the pad at once.

    python -m bench.crowd                                  # 1, 8, 32, 64 visitors, 20 s each, 2 min soak
    python -m bench.crowd --users 32 --seconds 60 --soak 0 --workers 0

Each visitor draws the way a person does and the pad reacts the way ui/pad.js does: a digit
takes STROKE_S seconds of pointer moves (one every 16 ms); the pad sends the drawing so far at
most every LIVE_MS while the pen moves, with at most one request in flight, and a newer frame
replaces one still waiting (counted as "superseded"), marked live (the server reads it after any
pen-up frame); on pen-up the finished drawing is always sent at once (past a live frame still
being read), and the time from pen-up to its answer is the latency reported. Then a pause, and
the next digit. All visitors run on one asyncio loop speaking the pad's protocol (one POST per
reading, harness/pad_client.py) over kept-alive connections through a lean HTTP/1.1 client
(harness/http1.py: a request the server's close crossed is sent again, as a browser does, and
counted as "resent"), so the load generator stays light: it shares the same
2 cores as the server; every frame is encoded before the run. The server's CPU per reading and
its memory are those of all its processes (the reading workers too, DIGIT_WORKERS=--workers).
For what the server alone can take, see bench/crowd_server.py (wrk). A gradio_client run
against the upload endpoint (/read_image) is kept beside it, for what a program sees.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx._transports.default as httpx_transport
import numpy as np
import psutil
from gradio_client import Client, handle_file

from bench.common import markdown_table, summary, write
from harness.pad_client import AsyncPadClient, pad_png_data_url
from harness.server import AppServer
from model.synth.sketches import Placement, brush_coverage, paint, placed_strokes
from ui.pad import BRUSH, CANVAS, EXPORT, LIVE_MS

TICK_S = 0.016  # pointer moves while drawing (60 Hz)
STROKE_S = 0.9  # drawing one digit
PAUSE_S = (0.3, 0.8)  # between digits
FRAMES = 12  # partial drawings per digit (the drawing as it grows)
SCALE = EXPORT[0] / CANVAS[0]

# gradio_client uploads each file with a fresh httpx client, which builds a fresh TLS context
# (about 40 ms of CPU, even for http://); a browser pays no such cost, so this run reuses one.
httpx_transport.create_ssl_context = functools.lru_cache(maxsize=4)(httpx_transport.create_ssl_context)


# ui/pad.js sends with every live frame how many digits its strokes can hold (digitsHeld): each
# crowd drawing is one digit drawn in one stroke, which holds one.
HELD = 1
MIXES = ("pad", "final")


def pad_payloads(frames: list[str], mix: str = "pad") -> list[dict]:
    """The payloads the pad sends for a drawing as it grows (`frames`, the last one finished):
    mix "pad", as ui/pad.js sends them, every frame but the last live (marked, with the digits
    its strokes can hold: HELD) and the last one the pen-up frame; mix "final", every frame as a
    pen-up frame (the heavier load that runs before 2026-12-03 measured)."""
    if mix not in MIXES:
        raise ValueError(f"unknown mix {mix!r}; choose from {MIXES}")
    live = {"live": True, "max_digits": HELD} if mix == "pad" else {}
    return [
        {"image": f, "language": "en", **({} if k == len(frames) - 1 else live)} for k, f in enumerate(frames)
    ]


def growing_drawings(seed: int = 0) -> list[tuple[str, list[str]]]:
    """(digit, data URLs of the drawing as it grows, FRAMES of them): two of each digit, as the
    pad exports them (black on white, an 8-bit grey PNG encoded as ui/png.js does, strokes re-drawn
    at the export size)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(20):
        digit = i % 10
        place = Placement(
            CANVAS, (float(rng.uniform(220, 420)), 160.0), float(rng.uniform(170, 250)), 0.0, float(BRUSH)
        )
        # the pen path in canvas pixels, re-drawn at the export size as ui/pad.js's exportPng does
        points = SCALE * np.concatenate(placed_strokes(digit, place))
        grown = (points[: max(2, len(points) * k // FRAMES)] for k in range(1, FRAMES + 1))
        frames = [pad_png_data_url(paint(brush_coverage(p, EXPORT, BRUSH * SCALE), "gray")) for p in grown]
        out.append((str(digit), frames))
    return out


@dataclass
class Tally:
    """What all visitors saw."""

    readings: int = 0  # answers received, live and final
    latencies: list[float] = field(default_factory=list)  # pen-up -> final answer, seconds
    superseded: int = 0  # frames replaced by a newer one while waiting behind a request
    busy: int = 0  # "busy, try again" replies
    wrong: int = 0  # final answers that are not the digit drawn
    errors: list[str] = field(default_factory=list)  # exceptions: refused connections, HTTP errors
    resent: int = 0  # requests sent again: the server had closed their kept-alive connection


async def visitor(pad: AsyncPadClient, drawings: list, stop_at: float, seed: int, tally: Tally) -> None:
    rng = np.random.default_rng(seed)
    session = secrets.token_hex(8)
    loop = asyncio.get_running_loop()

    async def read(data_url: str, live: bool = False) -> dict | None:
        try:
            reply = await pad.read(data_url, session, live, HELD if live else None)
        except Exception as e:
            tally.errors.append(f"{type(e).__name__}: {e}"[:200])
            return None
        tally.readings += 1
        tally.busy += bool(reply.get("busy"))
        return reply

    live = LIVE_MS / 1000
    await asyncio.sleep(float(rng.uniform(0, 1)))  # visitors do not all start at once
    while loop.time() < stop_at:
        expected, frames = drawings[int(rng.integers(len(drawings)))]
        pen_down = loop.time()
        pen_up = pen_down + STROKE_S
        # While the pen moves, the pointer moves every TICK_S and the drawing is always "dirty",
        # so the pad sends as soon as the answer is back and LIVE_MS has passed since the last
        # frame: the loop below is that rule, without simulating every pointer event.
        in_flight = None  # a live frame still being read at pen-up: its answer comes, unused
        while (now := loop.time()) < pen_up:
            grown = (now - pen_down) / STROKE_S
            sent = now
            frame = frames[min(FRAMES - 1, int(grown * FRAMES))]
            in_flight = asyncio.ensure_future(read(frame, live=True))
            await asyncio.wait([in_flight], timeout=pen_up - now)
            if not in_flight.done():
                break  # pen-up came first
            back = loop.time()
            # frames ready to go (LIVE_MS passed) while the answer was still coming: each newer
            # pointer move replaced the waiting one, and only the last of them is sent
            waited = min(back, pen_up) - (sent + live)
            tally.superseded += max(0, int(waited / TICK_S) - 1)
            next_frame = max(back, sent + live)
            if next_frame >= pen_up:
                break
            await asyncio.sleep(next_frame - back)
        await asyncio.sleep(max(0.0, pen_up - loop.time()))  # the stroke goes on to its end
        # pen-up: the finished drawing goes now, as the pad sends it, even past a live frame
        # still being read
        reply = await read(frames[-1])
        while reply is not None and reply.get("busy") and loop.time() < stop_at + 30:
            await asyncio.sleep(0.6)  # as the pad does: show "busy", try the newest drawing again
            reply = await read(frames[-1])
        if reply is not None and not reply.get("busy"):
            tally.latencies.append(loop.time() - pen_up)
            tally.wrong += reply["number"] != expected
        if in_flight is not None:
            await in_flight  # (counted among the readings; its answer was stale)
        await asyncio.sleep(float(rng.uniform(*PAUSE_S)))


async def crowd(url: str, users: int, seconds: float, drawings: list) -> Tally:
    tally = Tally()
    async with AsyncPadClient(url, connections=max(8, users)) as pad:
        stop_at = asyncio.get_running_loop().time() + seconds
        await asyncio.gather(*(visitor(pad, drawings, stop_at, seed, tally) for seed in range(users)))
        tally.resent = pad.resent
    return tally


def tree(pid: int) -> list[psutil.Process]:
    """The server's process and all under it (its reading workers)."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its workers together."""
    total = 0
    for p in tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total / 2**20


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of the server and its workers, from /proc."""
    total = 0.0
    for p in tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def run_level(server: AppServer, users: int, seconds: float, drawings: list, sample_every: float = 0) -> dict:
    pid = server.process.pid
    rss = [rss_mb(pid)]
    cpu0 = cpu_s(pid)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(sample_every):
            rss.append(rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True) if sample_every else None
    if sampler:
        sampler.start()
    tic = time.monotonic()
    tally = asyncio.run(crowd(server.url, users, seconds, drawings))
    elapsed = time.monotonic() - tic
    done.set()
    rss.append(rss_mb(pid))
    server_cpu = cpu_s(pid) - cpu0
    row = {
        "users": users,
        "seconds": round(elapsed, 1),
        "readings": tally.readings,
        "per_second": tally.readings / elapsed,
        "final_answers": len(tally.latencies),
        **({"latency": summary(tally.latencies)} if tally.latencies else {}),
        "p95_ms": float(np.percentile(np.asarray(tally.latencies) * 1e3, 95)) if tally.latencies else None,
        "superseded": tally.superseded,
        "busy": tally.busy,
        "wrong": tally.wrong,
        "errors": len(tally.errors),
        "resent": tally.resent,
        "error_samples": sorted(set(tally.errors))[:5],
        "rss_mb": [round(r, 1) for r in rss],
        "cpu_ms_per_reading": 1e3 * server_cpu / max(1, tally.readings),
        "alive": server.alive(),
    }
    lat = row.get("latency", {})
    print(
        f"{users:>3} visitors {elapsed:5.1f}s: {row['per_second']:6.1f} readings/s, pen-up->answer "
        f"p50 {lat.get('median_ms', float('nan')):.0f} p99 {lat.get('p99_ms', float('nan')):.0f} ms, "
        f"busy {tally.busy}, superseded {tally.superseded}, wrong {tally.wrong}, errors {len(tally.errors)}, "
        f"resent {tally.resent}, "
        f"server CPU {row['cpu_ms_per_reading']:.1f} ms/reading, RSS {rss[0]:.0f}->{rss[-1]:.0f} MB",
        flush=True,
    )
    return row


def program_run(server: AppServer, users: int, seconds: float, folder: Path) -> dict:
    """gradio_client sessions reading an image file through /read_image, back to back."""
    path = folder / "seven.png"
    pen_path = np.concatenate(placed_strokes(7, Placement(CANVAS, (320, 160), 220)))
    paint(brush_coverage(pen_path, CANVAS, BRUSH), "white").save(path)
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + seconds

    def user() -> None:
        client = Client(server.url, verbose=False)
        while time.monotonic() < stop_at:
            tic = time.monotonic()
            try:
                number = client.predict(handle_file(str(path)), api_name="/read_image")[1]["number"]
                latencies.append(time.monotonic() - tic)
                if number != "7":
                    errors.append(f"read {number!r}")
            except Exception as e:
                errors.append(str(e)[:200])

    threads = [threading.Thread(target=user) for _ in range(users)]
    tic = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    elapsed = time.monotonic() - tic
    row = {"users": users, "seconds": round(elapsed, 1), "readings": len(latencies)}
    row |= {"per_second": len(latencies) / elapsed, "latency": summary(latencies), "errors": len(errors)}
    print(f"gradio_client x{users}: {row['per_second']:.1f}/s, p50 {row['latency']['median_ms']:.0f} ms")
    return row


def table(rows: list[dict]) -> str:
    header = ["visitors", "s", "readings", "per second", "pen-up→answer p50 ms", "p95 ms", "p99 ms"]
    header += ["superseded frames", "busy", "wrong", "errors", "resent"]
    header += ["server CPU ms/reading", "server RSS MB"]
    body = []
    for r in rows:
        lat = r.get("latency", {})
        label = f"{r['users']} (soak)" if r.get("soak") else str(r["users"])
        body.append(
            [label, f"{r['seconds']:.0f}", r["readings"], f"{r['per_second']:.1f}",
             f"{lat.get('median_ms', float('nan')):.0f}", f"{r['p95_ms'] or float('nan'):.0f}",
             f"{lat.get('p99_ms', float('nan')):.0f}", r["superseded"], r["busy"], r["wrong"], r["errors"],
             r.get("resent", 0), f"{r.get('cpu_ms_per_reading', float('nan')):.1f}",
             f"{r['rss_mb'][0]:.0f} → {r['rss_mb'][-1]:.0f}"]
        )  # fmt: skip
    return markdown_table(header, body)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, nargs="+", default=[1, 8, 32, 64])
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--soak", type=float, default=120, help="then this long at the largest crowd (0: none)")
    p.add_argument("--program-users", type=int, default=8, help="gradio_client sessions on /read_image")
    p.add_argument("--workers", type=int, default=2, help="the server's DIGIT_WORKERS")
    args = p.parse_args()
    drawings = growing_drawings()  # every frame encoded before the run: the client stays light
    env = {"DIGIT_WORKERS": str(args.workers)}
    with tempfile.TemporaryDirectory() as tmp, AppServer(Path(tmp) / "app.log", env=env) as server:
        run_level(server, 4, 5, drawings)  # warm-up: thread pools, caches, allocator
        rows = [run_level(server, users, args.seconds, drawings) for users in args.users]
        if args.soak:
            soak = run_level(server, max(args.users), args.soak, drawings, sample_every=10)
            rows.append({**soak, "soak": True})
        program = (
            program_run(server, args.program_users, args.seconds, Path(tmp)) if args.program_users else None
        )
        log_tracebacks = server.log().count("Traceback")
    text = table(rows)
    if program:
        lat = program["latency"]
        text += (
            f"\n\nA program on the upload endpoint (`/read_image`, gradio_client, {program['users']} "
            f"sessions back to back): {program['per_second']:.1f} readings/s, "
            f"median {lat['median_ms']:.0f} ms, "
            f"p99 {lat['p99_ms']:.0f} ms, {program['errors']} errors."
        )
    text += f"\n\nTracebacks in the server log: {log_tracebacks}."
    command = "python -m bench.crowd " + " ".join(
        [f"--users {' '.join(map(str, args.users))}", f"--seconds {args.seconds:g}", f"--soak {args.soak:g}"]
        + [f"--program-users {args.program_users}", f"--workers {args.workers}"]
    )
    write("crowd", {"levels": rows, "program": program, "tracebacks": log_tracebacks}, text, command)


if __name__ == "__main__":
    main()
