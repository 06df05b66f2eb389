"""Issue 24's crowd attacks, replayed against a running app: one client posing as many visitors.

    for name, replay in attacks():
        print(name, replay("http://127.0.0.1:7860/"))     # "what came back", in a line

bench/attack.py imports this (it measures the server's CPU, memory and log around each replay).
Each replay is bounded in requests and time and talks to loopback only (harness/floods.py):
  - H2: Train joined 300 times from new sessions with nobody listening, then a photo read;
  - H3: "No, it was 3" sent under a new session hash each time, 16 connections, for 20 s;
  - M3: a visitor trains (their page open), then a client uses their session hash to read with,
    train over and evict their network (up to the training's time cap: 60 s on a CPU);
  - L1: 10,000 calls, each under a new session hash (Gradio keeps state per hash).
Run alone: `python -m bench.attack_crowd URL`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable

import httpx

from harness.bad_inputs import png_bytes
from harness.floods import correct_from_new_sessions, forged_sessions, join_unheard, read_photo
from harness.pad_client import PadClient, png_data_url
from harness.queue_client import QueueClient
from model.synth.sketches import Placement, draw_digit

SEVEN = draw_digit(7, Placement((280, 280), (140, 140), 180, 0, 14))
CORRECTION_SECONDS = 20
CORRECTION_CONNECTIONS = 16


def _counts(counts: Counter) -> str:
    return ", ".join(f"{n}× {code}" for code, n in sorted(counts.items(), key=str))


def train_flood(url: str) -> str:
    """H2: 300 Train joins, each from a new session, nobody listening; a visitor reads a photo
    every 0.3 s meanwhile, and once after."""
    photo = png_bytes(SEVEN)
    read_photo(url, photo)  # the first upload warms the path up (1.6 s here): not the flood's doing
    during: list[tuple[float, str]] = []
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        flood = pool.submit(asyncio.run, join_unheard(url, "learn-train", 300))

        def visitor() -> None:
            while not flood.done():
                during.append(read_photo(url, photo))
                time.sleep(0.3)

        pool.submit(visitor).result()
        sent = flood.result()
    took = time.monotonic() - start
    seconds, number = read_photo(url, photo)
    worst = max(during, default=(0.0, "none"))
    return (
        f"300 joins in {took:.1f} s: {_counts(sent)}; photos meanwhile: {len(during)}, slowest "
        f"{worst[0]:.2f} s ({worst[1]!r}); after: {number!r} in {seconds:.2f} s"
    )


def correction_flood(url: str) -> str:
    """H3: corrections under a new session hash each, 16 connections, for 20 s."""
    seven = png_data_url(SEVEN)
    replies: list[dict] = []
    start = time.monotonic()
    while time.monotonic() - start < CORRECTION_SECONDS:
        replies += asyncio.run(
            correct_from_new_sessions(
                url, seven, n=4 * CORRECTION_CONNECTIONS, connections=CORRECTION_CONNECTIONS
            )
        )
    minutes = (time.monotonic() - start) / 60
    stored = sum(bool(r.get("stored")) for r in replies)
    said = Counter(r.get("message", str(r.get("error"))) for r in replies if not r.get("stored"))
    common = said.most_common(1)[0][0][:60] if said else "-"
    booth = PadClient(url).booth()["html"]
    total = booth.split('data-testid="booth-total">')[1].split("<")[0] if "booth-total" in booth else "0"
    return (
        f"{stored} of {len(replies)} stored ({stored / minutes:.0f} a minute); refused: {common!r}; "
        f"the booth counts {total} today"
    )


def forged_network(url: str) -> str:
    """M3: a visitor trains with their page open; another client then reads with, trains over and
    closes a stream under the visitor's session hash. Whether the visitor's network survived."""
    base, victim, seven = url.rstrip("/"), secrets.token_hex(8), png_data_url(SEVEN)

    def theirs(pad: PadClient, **extra) -> bool:
        return "yours-number" in pad.send({"image": seven, **extra}).text

    with httpx.Client(timeout=120) as page, page.stream("GET", f"{base}/gradio_api/heartbeat/{victim}"):
        client = QueueClient(url, timeout=120)
        final = _status(list(client.press("learn-train", session=victim))[-1])
        client.close()
        if 'data-key="' not in final:
            return f"the visitor's training did not finish: {final[-120:]!r}"
        key = final.split('data-key="')[1].split('"')[0]
        visitor = PadClient(url, elem_id="learn-pad", session=victim)
        forger = PadClient(url, elem_id="learn-pad", session=victim)  # the same hash, not the key
        seen = [
            f"visitor reads with theirs: {theirs(visitor, key=key)}",
            f"forger (their hash): {theirs(forger)}",
            f"forger (a guessed key): {theirs(forger, key=secrets.token_urlsafe(16))}",
        ]
        client = QueueClient(url, timeout=60)  # Train pressed under the visitor's hash, then left
        over = _status(
            next(m for m in client.press("learn-train", session=victim) if m["msg"] == "process_generating")
        )
        client.close()
        with httpx.Client(timeout=10) as forged:  # a heartbeat under their hash, opened and closed
            with forged.stream("GET", f"{base}/gradio_api/heartbeat/{victim}") as stream:
                next(stream.iter_lines())
        time.sleep(2)  # Gradio runs the page's unload after a heartbeat closes
        seen.append(f"forger's Train: {over[:40]!r}")
        seen.append(f"visitor still reads with theirs: {theirs(visitor, key=key)}")
    return "; ".join(seen)


def _status(message: dict) -> str:
    data = (message.get("output") or {}).get("data") or [""]
    return str(data[0])


def forged_session_state(url: str) -> str:
    """L1: 10,000 calls, each under a new session hash."""
    start = time.monotonic()
    sent = asyncio.run(forged_sessions(url, 10_000))
    return f"10,000 calls under new session hashes in {time.monotonic() - start:.0f} s: {_counts(sent)}"


def attacks() -> list[tuple[str, Callable[[str], str]]]:
    """(name, replay) for bench/attack.py; replay(url) returns what came back."""
    return [
        ("H2 300 Train joins from new sessions, nobody listening", train_flood),
        ("H3 corrections under new session hashes, 16 connections, 20 s", correction_flood),
        ("M3 a visitor's network under their forged session hash", forged_network),
        ("L1 10,000 calls under new session hashes", forged_session_state),
    ]


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7860/"
    for name, replay in attacks():
        print(f"{name}: {replay(target)}", flush=True)
