"""Crowds that are not visitors: many requests from one client, each under a new session hash.

    counts = asyncio.run(join_unheard(url, "learn-train", n=300))   # Train pressed, nobody listens
    seconds, reply = read_photo(url, png_bytes)                       # a photo through /read_image
    replies = asyncio.run(correct_from_new_sessions(url, data_url, n=60))
    sent = asyncio.run(forged_sessions(url, n=10_000))                # one booth call per new hash

Raw httpx on one event loop (GRADIO_NOTES.md: gradio_client would measure the client). For the
tests (tests/test_floods.py) and the attack replays (bench/attack_crowd.py); loopback only.
`forwarded(i)`, where given, is the X-Forwarded-For of the i-th request, as a client would forge
it (the app believes it only when told it runs behind a proxy: ui/clients.py).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import Counter
from collections.abc import Callable

import httpx

from harness.pad_client import pad_component_id
from harness.queue_client import QueueClient
from ui.corrections import BOOTH_FUNCTION, CORRECT_FUNCTION

Forwarded = Callable[[int], "str | None"]


def _headers(forwarded: Forwarded | None, i: int) -> dict[str, str]:
    value = forwarded(i) if forwarded else None
    return {"X-Forwarded-For": value} if value else {}


def event_ids(url: str, elem_id: str, event: str = "click") -> tuple[int, int]:
    """(fn_index, trigger id) of an event of the running app."""
    client = QueueClient(url)
    try:
        return client.event(elem_id, event)
    finally:
        client.close()


async def join_unheard(
    url: str, elem_id: str, n: int, concurrency: int = 32, forwarded: Forwarded | None = None
) -> Counter:
    """Join the queue for an event `n` times, each from a new session, and never listen for the
    result; the HTTP status of each join, counted."""
    fn_index, trigger = event_ids(url, elem_id)
    base = url.rstrip("/")
    gate = asyncio.Semaphore(concurrency)
    counts: Counter = Counter()
    async with httpx.AsyncClient(timeout=30) as http:

        async def one(i: int) -> None:
            body = {"data": [], "event_data": None, "fn_index": fn_index, "trigger_id": trigger}
            async with gate:
                try:
                    response = await http.post(
                        f"{base}/gradio_api/queue/join",
                        json={**body, "session_hash": secrets.token_hex(8)},
                        headers=_headers(forwarded, i),
                    )
                    counts[response.status_code] += 1
                except httpx.HTTPError as e:
                    counts[type(e).__name__] += 1

        await asyncio.gather(*(one(i) for i in range(n)))
    return counts


def read_photo(url: str, png: bytes, timeout: float = 30) -> tuple[float, str]:
    """Upload a photo and read it through the queued /read_image event, as the Upload tab does:
    the seconds from upload to answer, and the number read (or what went wrong)."""
    base = url.rstrip("/")
    client = QueueClient(url, timeout=timeout)
    try:
        fn_index, trigger = client.event("photo", "change")
        session = secrets.token_hex(8)
        start = time.monotonic()
        uploaded = client.http.post(
            f"{base}/gradio_api/upload", files={"files": ("photo.png", png, "image/png")}
        )
        if uploaded.status_code != 200:
            return time.monotonic() - start, f"upload {uploaded.status_code}"
        file = {"path": uploaded.json()[0], "orig_name": "photo.png", "meta": {"_type": "gradio.FileData"}}
        body = {"data": [file], "event_data": None, "fn_index": fn_index, "trigger_id": trigger}
        joined = client.http.post(f"{base}/gradio_api/queue/join", json={**body, "session_hash": session})
        if joined.status_code != 200:
            return time.monotonic() - start, f"join {joined.status_code}: {joined.text[:80]}"
        with client.http.stream(
            "GET", f"{base}/gradio_api/queue/data", params={"session_hash": session}
        ) as s:
            for line in s.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    seconds = time.monotonic() - start
                    if not message.get("success"):
                        return seconds, "failed"
                    return seconds, message["output"]["data"][1].get("number", "")
        return time.monotonic() - start, "no answer"
    finally:
        client.close()


async def correct_from_new_sessions(
    url: str,
    data_url: str,
    n: int,
    connections: int = 16,
    forwarded: Forwarded | None = None,
    label: int = 3,
) -> list[dict]:
    """`n` corrections of the drawing `data_url` ("digit 0 is `label`", with consent), each under
    a new session hash, `connections` at a time; every reply (or {"error": ...})."""
    base = url.rstrip("/")
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        component = pad_component_id((await http.get(f"{base}/config")).json())
        gate = asyncio.Semaphore(connections)

        async def one(i: int) -> dict:
            payload = {"image": data_url, "digit": 0, "label": label, "consent": True}
            body = {
                "session_hash": secrets.token_hex(8),
                "component_id": component,
                "fn_name": CORRECT_FUNCTION,
                "data": payload,
            }
            async with gate:
                try:
                    response = await http.post(
                        f"{base}/gradio_api/component_server", json=body, headers=_headers(forwarded, i)
                    )
                    return response.json() if response.status_code == 200 else {"error": response.status_code}
                except (httpx.HTTPError, ValueError) as e:
                    return {"error": type(e).__name__}

        return list(await asyncio.gather(*(one(i) for i in range(n))))


async def forged_sessions(url: str, n: int, concurrency: int = 32) -> Counter:
    """One cheap call (the booth screen) under each of `n` new session hashes: Gradio keeps state
    for every session hash it is sent. The HTTP statuses, counted."""
    base = url.rstrip("/")
    async with httpx.AsyncClient(timeout=30) as http:
        component = pad_component_id((await http.get(f"{base}/config")).json())
        gate = asyncio.Semaphore(concurrency)
        counts: Counter = Counter()

        async def one() -> None:
            body = {
                "session_hash": secrets.token_hex(8),
                "component_id": component,
                "fn_name": BOOTH_FUNCTION,
                "data": {},
            }
            async with gate:
                try:
                    response = await http.post(f"{base}/gradio_api/component_server", json=body)
                    counts[response.status_code] += 1
                except httpx.HTTPError as e:
                    counts[type(e).__name__] += 1

        await asyncio.gather(*(one() for _ in range(n)))
    return counts
