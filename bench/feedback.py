"""Corrections under a crowd: every accepted one stored exactly once, readings as fast as before,
and nothing acknowledged lost to `kill -9`.

    python -m bench.feedback                               # 32 visitors: 40 s reading only, 120 s correcting
    python -m bench.feedback --users 32 --seconds 120 --baseline 40 --kill-after 10

The real app (`python app.py`, its database in a temporary folder) on loopback. Visitors draw as
in bench/crowd.py (live frames while the pen moves, the finished drawing on pen-up; its latency
is what is reported), then, in the correcting phase, look at the answer for a moment and send
"Right!" or "No, it was…" with consent, as the pad's buttons do (the drawing the answer was
for, the digit's index, the label), and draw again. Afterwards the database is opened directly:
its rows are counted against the acknowledged corrections, id by id, and PRAGMA integrity_check
must say ok. Last, a fresh server takes the same load and is killed with SIGKILL mid-run; every
correction it had acknowledged must be in the database when it is opened again.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.common import markdown_table, summary, write
from bench.crowd import FRAMES, PAUSE_S, STROKE_S, TICK_S, growing_drawings
from harness.pad_client import AsyncPadClient
from harness.server import AppServer
from ui.corrections import TOO_MANY
from ui.pad import LIVE_MS

THINK_S = (0.4, 1.2)  # looking at the answer before pressing a button
# The crowd is one address (loopback) and far busier than the app's limits allow: they are lifted
# here, to measure the writer and the readings; tests/test_floods.py holds the limits themselves.
UNLIMITED = {"DIGIT_CORRECTIONS_PER_MINUTE": "1000000", "DIGIT_CORRECTIONS_ALL_PER_MINUTE": "1000000"}


@dataclass
class Tally:
    readings: int = 0
    latencies: list[float] = field(default_factory=list)  # pen-up -> final answer
    acked: list[int] = field(default_factory=list)  # ids of corrections the server acknowledged
    correction_s: list[float] = field(default_factory=list)  # request -> acknowledgement
    limited: int = 0  # refused by the per-visitor rate limit
    refused: list[str] = field(default_factory=list)  # any other "not stored" reply
    errors: list[str] = field(default_factory=list)  # exceptions: HTTP errors, refused connections


async def visitor(
    pad: AsyncPadClient, drawings: list, stop_at: float, seed: int, tally: Tally, correct: bool
):
    rng = np.random.default_rng(seed)
    session = secrets.token_hex(8)
    loop = asyncio.get_running_loop()
    await asyncio.sleep(float(rng.uniform(0, 1)))
    while loop.time() < stop_at:
        expected, frames = drawings[int(rng.integers(len(drawings)))]
        try:
            reply = await draw(pad, frames, session, tally)
        except Exception as e:
            tally.errors.append(f"{type(e).__name__}: {e}"[:200])
            return  # a dead server: this visitor leaves
        if correct and reply is not None and reply["number"]:
            await asyncio.sleep(float(rng.uniform(*THINK_S)))
            tic = loop.time()
            try:
                answer = await pad.correct(frames[-1], session, 0, int(expected[0]))
            except Exception as e:
                tally.errors.append(f"{type(e).__name__}: {e}"[:200])
                return
            if answer.get("stored"):
                tally.acked.append(answer["id"])
                tally.correction_s.append(loop.time() - tic)
            elif answer.get("message") == TOO_MANY:
                tally.limited += 1
            else:
                tally.refused.append(answer.get("message", "")[:200])
        await asyncio.sleep(float(rng.uniform(*PAUSE_S)))


async def draw(pad: AsyncPadClient, frames: list[str], session: str, tally: Tally) -> dict | None:
    """One digit drawn as the pad sends it (see bench/crowd.py); the answer to the finished one."""
    loop = asyncio.get_running_loop()
    in_flight: asyncio.Task | None = None
    last_sent = -1e9
    ticks = int(STROKE_S / TICK_S)
    for i in range(ticks):
        frame = frames[min(FRAMES - 1, (i + 1) * FRAMES // ticks)]
        if (in_flight is None or in_flight.done()) and loop.time() - last_sent >= LIVE_MS / 1000:
            if in_flight is not None:
                in_flight.result()  # a live frame that failed fails the drawing
                tally.readings += 1
            in_flight, last_sent = asyncio.create_task(pad.read(frame, session)), loop.time()
        await asyncio.sleep(TICK_S)
    pen_up = loop.time()
    if in_flight is not None:
        await in_flight
        tally.readings += 1
    reply = await pad.read(frames[-1], session)
    tally.readings += 1
    while reply.get("busy"):
        await asyncio.sleep(0.6)
        reply = await pad.read(frames[-1], session)
    tally.latencies.append(loop.time() - pen_up)
    return reply


async def crowd(url: str, users: int, seconds: float, drawings: list, correct: bool, kill=None) -> Tally:
    tally = Tally()
    async with AsyncPadClient(url, connections=max(8, users), timeout=30) as pad:
        stop_at = asyncio.get_running_loop().time() + seconds
        visitors = [visitor(pad, drawings, stop_at, seed, tally, correct) for seed in range(users)]
        if kill is not None:
            visitors.append(kill())
        await asyncio.gather(*visitors)
    return tally


def check(db_path: Path, acked: list[int]) -> dict:
    """The database against what was acknowledged."""
    db = sqlite3.connect(db_path)
    try:
        ids = [r[0] for r in db.execute("SELECT id FROM corrections")]
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    stored = set(ids)
    return {
        "rows": len(ids),
        "acknowledged": len(acked),
        "acknowledged_twice": len(acked) - len(set(acked)),
        "acknowledged_missing": len(set(acked) - stored),
        "stored_not_acknowledged": len(stored - set(acked)),
        "integrity_check": integrity,
    }


def phase(name: str, tally: Tally, seconds: float, users: int) -> dict:
    row = {
        "phase": name,
        "users": users,
        "seconds": seconds,
        "readings": tally.readings,
        "latency": summary(tally.latencies) if tally.latencies else None,
        "corrections": len(tally.acked),
        "correction_latency": summary(tally.correction_s) if tally.correction_s else None,
        "rate_limited": tally.limited,
        "refused": len(tally.refused),
        "refused_samples": sorted(set(tally.refused))[:3],
        "errors": len(tally.errors),
        "error_samples": sorted(set(tally.errors))[:3],
    }
    lat = row["latency"] or {}
    print(
        f"{name}: {tally.readings} readings, pen-up->answer p50 {lat.get('median_ms', float('nan')):.0f} "
        f"p99 {lat.get('p99_ms', float('nan')):.0f} ms; {len(tally.acked)} corrections stored, "
        f"{tally.limited} rate-limited, {len(tally.refused)} refused, {len(tally.errors)} errors",
        flush=True,
    )
    return row


def killed_mid_run(folder: Path, users: int, drawings: list, kill_after: float) -> dict:
    """A fresh server under the correcting crowd, killed with SIGKILL after `kill_after` s."""
    db = folder / "killed.sqlite3"
    server = AppServer(folder / "killed.log", env={"DIGIT_FEEDBACK_DB": str(db), **UNLIMITED})

    async def kill() -> None:
        await asyncio.sleep(kill_after)
        server.process.kill()  # SIGKILL: no atexit, no clean close of the database

    try:
        tally = asyncio.run(crowd(server.url, users, kill_after + 5, drawings, correct=True, kill=kill))
    finally:
        server.stop()
    found = check(db, tally.acked)
    print(f"kill -9 after {kill_after:g} s: {found}", flush=True)
    return {"kill_after_s": kill_after, **found, "errors_after_kill": len(tally.errors)}


def table(rows: list[dict], final: dict, killed: dict) -> str:
    header = ["phase", "visitors", "s", "readings", "per second", "pen-up→answer p50 ms", "p99 ms"]
    header += ["corrections stored", "correction p50 ms", "p99 ms", "rate-limited", "errors"]
    body = []
    for r in rows:
        lat, cor = r["latency"] or {}, r["correction_latency"] or {}
        rate = r["readings"] / r["seconds"]
        body.append(
            [r["phase"], r["users"], f"{r['seconds']:g}", r["readings"], f"{rate:.0f}",
             f"{lat.get('median_ms', float('nan')):.0f}", f"{lat.get('p99_ms', float('nan')):.0f}",
             r["corrections"],
             f"{cor['median_ms']:.0f}" if cor else "-", f"{cor['p99_ms']:.0f}" if cor else "-",
             r["rate_limited"], r["errors"] + r["refused"]]
        )  # fmt: skip
    text = markdown_table(header, body)
    text += (
        f"\n\nThe database afterwards: {final['rows']} rows for {final['acknowledged']} acknowledged "
        f"corrections ({final['acknowledged_missing']} missing, {final['acknowledged_twice']} "
        f"acknowledged twice, {final['stored_not_acknowledged']} stored but never acknowledged); "
        f"PRAGMA integrity_check: {final['integrity_check']}."
    )
    text += (
        f"\n\n`kill -9` of the server {killed['kill_after_s']:g} s into the same load: "
        f"{killed['acknowledged']} corrections acknowledged before it, "
        f"{killed['acknowledged'] - killed['acknowledged_missing']} of them in the database when it was "
        f"opened again ({killed['acknowledged_missing']} lost; {killed['stored_not_acknowledged']} more "
        f"committed whose answer never arrived); PRAGMA integrity_check: {killed['integrity_check']}."
    )
    return text


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=32)
    p.add_argument("--seconds", type=float, default=120, help="visitors reading and correcting")
    p.add_argument("--baseline", type=float, default=40, help="the same visitors reading only, first")
    p.add_argument("--kill-after", type=float, default=10, help="SIGKILL the second server after this long")
    args = p.parse_args()
    drawings = growing_drawings()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "corrections.sqlite3"
        with AppServer(folder / "app.log", env={"DIGIT_FEEDBACK_DB": str(db), **UNLIMITED}) as server:
            asyncio.run(crowd(server.url, 4, 5, drawings, correct=False))  # warm-up
            rows = []
            phases = (("reading only", args.baseline, False), ("reading + correcting", args.seconds, True))
            for name, seconds, correct in phases:
                tic = time.monotonic()
                tally = asyncio.run(crowd(server.url, args.users, seconds, drawings, correct))
                rows.append(phase(name, tally, round(time.monotonic() - tic), args.users))
            acked = tally.acked
            tracebacks = server.log().count("Traceback")
        final = check(db, acked)  # the server has stopped: nothing more can arrive
        print(f"database: {final}", flush=True)
        killed = killed_mid_run(folder, args.users, drawings, args.kill_after)
    text = table(rows, final, killed) + f"\n\nTracebacks in the server log: {tracebacks}."
    command = (
        f"python -m bench.feedback --users {args.users} --seconds {args.seconds:g} "
        f"--baseline {args.baseline:g} --kill-after {args.kill_after:g}"
    )
    write(
        "feedback",
        {"phases": rows, "database": final, "kill": killed, "tracebacks": tracebacks},
        text,
        command,
    )


if __name__ == "__main__":
    main()
