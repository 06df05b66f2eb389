"""Replay a hostile visitor's requests (issue 24) against `python app.py`, and what each cost.

    python -m bench.attack                  # writes bench/results/attack.{json,md}
    python -m bench.attack --only dotted,C1 # the rows whose name holds "dotted" or "C1"

Each request goes to the app on loopback while a normal visitor's pad posts a drawing every
100 ms (the pad's own endpoint, a pre-encoded PNG, as harness/pad_client.py sends it). Per
request: what came back; the server's CPU-seconds and peak memory meanwhile (all its processes,
from /proc via psutil); corrections rows written and files left in the server's own upload
folder (GRADIO_TEMP_DIR); the visitor's p99 (fast: at most 300 ms); tracebacks in the log.
The server is told it runs behind a proxy (DIGIT_BEHIND_PROXY=1), and each request names its
client in X-Forwarded-For, as Hugging Face's proxy does: the attacker one address, the visitor
another. More requests (the queue and corrections floods) come from bench/attack_crowd.py when it exists:
`attacks() -> [(name, fn(base_url) -> str)]`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import secrets
import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import psutil
from PIL import Image, ImageDraw

from bench.common import ROOT, markdown_table, summary, write
from harness.bad_inputs import dotted_grid
from harness.pad_client import PadClient, as_the_pad_sends, png_data_url
from harness.server import AppServer
from model.synth.sketches import Placement, draw_digit
from ui.pad import CANVAS

FAST_MS = 300  # the visitor's p99 target while an attack runs
ATTACKER = {"x-forwarded-for": "203.0.113.9"}  # documentation addresses (RFC 5737)
VISITOR = {"x-forwarded-for": "198.51.100.7"}
Attack = Callable[[str], str]


# --- the requests ------------------------------------------------------------------------------


def queue_call(url: str, api_name: str, data: list, timeout: float = 120) -> dict:
    """Fire an event through Gradio's queue as a raw client (no "meta" on files); the
    completed message, or {"msg": "timeout"}."""
    with httpx.Client(base_url=url.rstrip("/"), timeout=timeout, headers=ATTACKER) as http:
        config = http.get("/config").json()
        event = next(d for d in config["dependencies"] if d.get("api_name") == api_name)
        session = secrets.token_hex(8)
        body = {
            "data": data,
            "event_data": None,
            "fn_index": event["id"],
            "trigger_id": event["targets"][0][0],
        }
        joined = http.post("/gradio_api/queue/join", json={**body, "session_hash": session})
        if joined.status_code != 200:
            return {"msg": f"HTTP {joined.status_code}"}
        with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if message.get("msg") == "process_completed":
                        return message
    return {"msg": "no answer"}


def said(message: dict) -> str:
    """A short account of a queued event's answer."""
    if not message.get("success"):
        return f"refused by Gradio ({message.get('msg')}, error)"
    data = message["output"]["data"]
    reply = data[-1] if isinstance(data[-1], dict) else data[0]
    text = reply.get("message", "") if isinstance(reply, dict) else str(reply)
    number = reply.get("number", "") if isinstance(reply, dict) else ""
    return f'number "{number}", "{text[:70]}"' if number else f'"{text[:90]}"'


def read_path(path: str) -> Attack:
    return lambda url: said(queue_call(url, "read_image", [{"path": path}]))


def correct_path(path: str) -> Attack:
    return lambda url: said(queue_call(url, "correct", [{"path": path}, 0, 4, True]))


def wave() -> Image.Image:
    """The costliest drawing of up to 4 MP found by trying many (a fuzz of dots, rings,
    stripes, noise, scribbles, zig-zags and looping lines): one looping line 25 loops long,
    cut and read as dozens of digits."""
    image = Image.new("L", (4000, 1000), 255)
    t = np.linspace(0, 25 * 2 * np.pi, 1000)
    xs = np.linspace(5, 3995, len(t)) + np.sin(2 * t) * 4000 / 25 / 3
    ys = 500 + 30 * np.sin(t)
    ImageDraw.Draw(image).line([(int(x), int(y)) for x, y in zip(xs, ys)], fill=0, width=4)
    return image


def png(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def pad_reading(image: Image.Image) -> Attack:
    def attack(url: str) -> str:
        started = time.monotonic()
        pad = PadClient(url, timeout=200)
        pad.http.headers.update(ATTACKER)
        reply = pad.read(png_data_url(image))
        message = reply["reading"]["message"] or f'read "{reply["number"][:12]}"'
        return f"{message[:80]} ({time.monotonic() - started:.1f} s)"

    return attack


def upload(url: str, data: bytes, name: str) -> httpx.Response:
    return httpx.post(f"{url}gradio_api/upload", files={"files": (name, data)}, timeout=120, headers=ATTACKER)


def uploaded_reading(data: bytes, name: str, at_once: int = 1) -> Attack:
    def attack(url: str) -> str:
        started = time.monotonic()
        sent = upload(url, data, name)
        if sent.status_code != 200:
            return f"upload: HTTP {sent.status_code} {sent.text[:60]}"
        path = sent.json()[0]
        with concurrent(at_once) as pool:
            answers = list(
                pool.map(lambda _: said(queue_call(url, "read_image", [{"path": path}])), range(at_once))
            )
        return f"{answers[0]} ({time.monotonic() - started:.1f} s)"

    return attack


def concurrent(n: int):
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max(1, n))


def abandoned_readings(image: Image.Image, count: int) -> Attack:
    """Requests that hang up at once: the reading should not go on for nobody."""

    def attack(url: str) -> str:
        pad = PadClient(url, timeout=0.3)
        pad.http.headers.update(ATTACKER)
        timed_out = 0
        for _ in range(count):
            try:
                pad.read(png_data_url(image))
            except httpx.TimeoutException:
                timed_out += 1
        pad.close()
        time.sleep(3)  # what was left behind runs (or not) while the visitor draws
        return f"{timed_out} of {count} hung up"

    return attack


def big_body(megabytes: int, chunked: bool = False) -> Attack:
    def attack(url: str) -> str:
        body = b'{"data": "' + b"A" * (megabytes * 2**20) + b'"}'
        content = iter([body[i : i + 2**16] for i in range(0, len(body), 2**16)]) if chunked else body
        try:
            response = httpx.post(
                f"{url}gradio_api/component_server", content=content, timeout=60, headers=ATTACKER
            )
        except httpx.HTTPError as e:
            return f"{type(e).__name__} (connection closed)"
        return f"HTTP {response.status_code} {response.text[:60]}"

    return attack


def many_files(count: int, megabytes: float) -> Attack:
    def attack(url: str) -> str:
        files = [("files", (f"{i}.png", b"\0" * int(megabytes * 2**20))) for i in range(count)]
        try:
            response = httpx.post(f"{url}gradio_api/upload", files=files, timeout=120, headers=ATTACKER)
        except httpx.HTTPError as e:
            return f"{type(e).__name__} (connection closed)"
        return f"HTTP {response.status_code} {response.text[:60]}"

    return attack


def upload_flood(count: int, megabytes: float) -> Attack:
    def attack(url: str) -> str:
        codes: dict[int, int] = {}
        for i in range(count):
            code = upload(url, b"\0" * int(megabytes * 2**20), f"{i}.png").status_code
            codes[code] = codes.get(code, 0) + 1
        return ", ".join(f"{n}× HTTP {code}" for code, n in sorted(codes.items()))

    return attack


def deep_links(count: int) -> Attack:
    def attack(url: str) -> str:
        codes = {
            httpx.get(
                f"{url}gradio_api/deep_link", params={"session_hash": f"s{i}"}, headers=ATTACKER
            ).status_code
            for i in range(count)
        }
        return "HTTP " + ", ".join(map(str, sorted(codes)))

    return attack


def get(path: str) -> Attack:
    return lambda url: (
        f"HTTP {(r := httpx.get(url + path, timeout=30, headers=ATTACKER)).status_code} {r.text[:60]!r}"
    )


def unknown_component(url: str) -> str:
    body = {"session_hash": "x", "component_id": 99999, "fn_name": "read_pad", "data": {}}
    response = httpx.post(f"{url}gradio_api/component_server", json=body, timeout=30, headers=ATTACKER)
    return f"HTTP {response.status_code} {response.text[:60]}"


def bad_example(url: str) -> str:
    return said(queue_call(url, "load_example", [9999]))


def slow_sockets(count: int, hold_s: float, body: bool) -> Attack:
    """Connections that send part of a request and stall: how many the server still holds open."""

    def attack(url: str) -> str:
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        socks = []
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            if body:  # headers whole, then a body that never comes
                s.sendall(
                    b"POST /gradio_api/component_server HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"
                )
            else:  # headers that never end
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        time.sleep(hold_s)
        silent = 0
        for s in socks:
            s.setblocking(False)
            try:
                s.recv(1)  # an answer (408) or the end of the connection
            except BlockingIOError:
                silent += 1  # neither: the server still holds it open
            except OSError:
                pass
            s.close()
        return f"{silent} of {count} still open and unanswered after {hold_s:.0f} s"

    return attack


def attacks() -> list[tuple[str, Attack]]:
    secret_png = str(ROOT / "docs" / "screenshot.png")
    big = Image.new("L", (8000, 5000), 255)  # 40 MP, a few hundred KB as PNG
    big.paste(0, (3000, 1000, 3400, 4000))
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    found = [
        ("nothing (the visitor alone)", lambda url: time.sleep(3) or "—"),
        ("C1 /read_image {path: docs/screenshot.png}", read_path(secret_png)),
        ("C1 /read_image {path: /proc/self/environ}", read_path("/proc/self/environ")),
        ("C1 /read_image {path: /no/such/file}", read_path("/no/such/file")),
        ("C1 /correct {path: docs/screenshot.png}", correct_path(secret_png)),
        ("H1 dotted grid 500x500 via the pad", pad_reading(dotted_grid(500))),
        ("H1 dotted grid 750x750 via the pad", pad_reading(dotted_grid(750))),
        ("H1 dotted grid 2000x2000 via the pad", pad_reading(dotted_grid(2000))),
        ("H1 dotted grid 2000x2000 via /read_image", uploaded_reading(png(dotted_grid(2000)), "grid.png")),
        ("H1 the slowest drawing found (a looping line, 4000x1000)", pad_reading(wave())),
        ("H1 8 of those, each abandoned after 0.3 s", abandoned_readings(wave(), 8)),
        ("M1 5 MB body to /component_server", big_body(5)),
        ("M1 200 MB body to /component_server", big_body(200)),
        ("M1 50 MB chunked body (no Content-Length)", big_body(50, chunked=True)),
        ("M2 40 files of 9.5 MB in one upload", many_files(40, 9.5)),
        ("M2 5 files of 10 KB in one upload", many_files(5, 0.01)),
        ("M2 20 deep links (state.json each)", deep_links(20)),
        ("L2 GET /monitoring/summary", get("monitoring/summary")),
        ("L2 GET /monitoring", get("monitoring")),
        ("L3 unknown component_id", unknown_component),
        ("L3 bad example index", bad_example),
        ("L4 40 MP PNG through /read_image, 4 at once", uploaded_reading(png(big), "big.png", at_once=4)),
        ("L5 100 sockets with unfinished headers, 20 s", slow_sockets(100, 20, body=False)),
        ("L5 100 sockets with a stalled body, 20 s", slow_sockets(100, 20, body=True)),
        ("L7 an EPS file through /read_image", uploaded_reading(eps, "x.eps")),
        # last: it spends this client's upload allowance (every request here is from 127.0.0.1)
        ("M2 30 uploads of 5 MB from one client", upload_flood(30, 5)),
    ]
    crowd = ROOT / "bench" / "attack_crowd.py"
    if crowd.exists():  # the other findings' requests (the queue, corrections), when written
        spec = importlib.util.spec_from_file_location("bench.attack_crowd", crowd)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found += module.attacks()
    return found


# --- what each one cost ------------------------------------------------------------------------


class Monitor:
    """Samples the server's processes (CPU-seconds, summed RSS) every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def processes(self) -> list[psutil.Process]:
        return [self.root, *self.root.children(recursive=True)]

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.processes():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def rss(self) -> int:
        total = 0
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def reset_peak(self) -> None:
        self.peak_rss = self.rss()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            try:
                self.peak_rss = max(self.peak_rss, self.rss())
            except psutil.Error:
                return

    def stop(self) -> None:
        self._stop.set()


class Visitor:
    """A normal visitor drawing: one pad reading every 100 ms, each one's start and latency."""

    def __init__(self, url: str) -> None:
        self.data_url = as_the_pad_sends(draw_digit(4, Placement(CANVAS, (320, 160), 220, 0, 12), "white"))
        self.pad = PadClient(url, timeout=120)
        self.pad.http.headers.update(VISITOR)
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.pad.read(self.data_url)
                self.samples.append((started, time.monotonic() - started))
            except httpx.HTTPError:
                self.samples.append((started, float("inf")))
            self._stop.wait(max(0.0, 0.1 - (time.monotonic() - started)))

    def during(self, start: float, end: float) -> list[float]:
        return [s for t, s in self.samples if start <= t <= end or (t < start and t + s > start)]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(130)
        self.pad.close()


def rows(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT COUNT(*) FROM corrections").fetchone()[0]


def files_in(folder: Path) -> tuple[int, int]:
    found = [p for p in folder.rglob("*") if p.is_file()]
    return len(found), sum(p.stat().st_size for p in found)


def run(only: str | None) -> list[dict]:
    wanted = None if only is None else [w.strip().lower() for w in only.split(",")]
    chosen = [(n, a) for n, a in attacks() if wanted is None or any(w in n.lower() for w in wanted)]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        uploads, db = folder / "gradio", folder / "corrections.sqlite3"
        env = {"DIGIT_FEEDBACK_DB": str(db), "GRADIO_TEMP_DIR": str(uploads), "DIGIT_BEHIND_PROXY": "1"}
        with AppServer(folder / "app.log", env=env) as server:
            monitor, visitor = Monitor(server.process.pid), Visitor(server.url)
            queue_call(server.url, "read_image", [None])  # the queue's first event costs more
            time.sleep(3)  # the visitor's first readings warm the server up
            for name, attack in chosen:
                before = (monitor.cpu_seconds(), rows(db), files_in(uploads), server.log().count("Traceback"))
                monitor.reset_peak()
                start = time.monotonic()
                try:
                    came_back = attack(server.url)
                except Exception as e:  # the request itself failed: that is what came back
                    came_back = f"{type(e).__name__}: {str(e)[:60]}"
                end = time.monotonic()
                time.sleep(0.3)  # the visitor's reading that started last is in
                latencies = visitor.during(start, end)
                files, size = files_in(uploads)
                result = {
                    "request": name,
                    "came_back": came_back.replace("|", "/").replace("\n", " "),
                    "seconds": end - start,
                    "cpu_s": monitor.cpu_seconds() - before[0],
                    "peak_rss_mb": monitor.peak_rss / 2**20,
                    "rows": rows(db) - before[1],
                    "files_left": files - before[2][0],
                    "bytes_left": size - before[2][1],
                    "visitor": summary(latencies) if latencies else None,
                    "tracebacks": server.log().count("Traceback") - before[3],
                    "alive": server.alive(),
                }
                results.append(result)
                print(json.dumps(result), flush=True)
            visitor.stop()
            monitor.stop()
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help="run only the requests whose name holds one of these (comma-separated)")
    args = p.parse_args()
    results = run(args.only)
    table = []
    for r in results:
        v = r["visitor"]
        fast = (
            "—"
            if v is None
            else f"{'yes' if v['p99_ms'] <= FAST_MS else 'NO'} ({v['p99_ms']:.0f} ms, n={v['n']})"
        )
        table.append(
            [
                r["request"],
                r["came_back"][:110],
                f"{r['cpu_s']:.1f}",
                f"{r['peak_rss_mb']:.0f}",
                r["rows"],
                f"{r['files_left']} ({r['bytes_left'] / 2**20:.1f} MB)",
                fast,
                r["tracebacks"],
            ]
        )
    header = [
        "request",
        "what came back",
        "server CPU s",
        "peak RSS MB",
        "rows",
        "files left",
        f"visitor p99 ≤ {FAST_MS} ms",
        "tracebacks",
    ]
    command = "python -m bench.attack" + (f" --only '{args.only}'" if args.only else "")
    write("attack", {"results": results}, markdown_table(header, table), command)


if __name__ == "__main__":
    main()
