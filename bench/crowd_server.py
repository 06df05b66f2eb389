"""What the server can take: `wrk` (a C load generator, almost no client CPU) POSTs real pad
drawings to the pad's endpoint, closed loop, and the server's own CPU is read from /proc.

    python -m bench.crowd_server                          # DIGIT_WORKERS 0 and 2; 1, 8, 32 connections
    python -m bench.crowd_server --workers 2 --connections 32 --seconds 30

The drawings are the crowd's (bench/crowd.py: 20 digits, each as it grows, 12 frames), encoded
once before the run as the JSON bodies ui/pad.js sends to /gradio_api/component_server. For each
worker count the app is started afresh (`python app.py`, DIGIT_WORKERS=N), warmed up, then each
connection count runs for `--seconds`. Reported: readings/s, wrk's latency p50/p99, and the
server's CPU per reading: utime+stime of the app and all its processes (the reading workers),
from /proc before and after, over the readings answered (and the main process's share: HTTP,
JSON, passing drawings to the workers; and the whole less what the app burns idle, measured for
5 s before the levels, which matters when the machine gives it only a few readings a second).
That figure hardly depends on the client or on other load on the machine; readings/s and
latency do. "busy" counts the gate's
"try again" replies (ui/admission.py), which are answered but not read.

wrk is Debian's `wrk` package (`apt-get install wrk`; https://github.com/wg/wrk elsewhere): without
it this says so and stops.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.common import markdown_table, write
from bench.crowd import growing_drawings
from harness.pad_client import pad_component_id
from harness.server import AppServer

# Counts the replies and the "busy" ones per thread, prints wrk's figures as one JSON line.
LUA = r"""
local bodies, i, threads = {}, 0, {}
replies, busy = 0, 0  -- globals: done() reads them from each thread
function setup(thread) table.insert(threads, thread) end
function init(args)
  for line in io.lines(args[1]) do table.insert(bodies, line) end
  i = math.random(#bodies)
end
function request()
  i = i % #bodies + 1
  local headers = {["Content-Type"] = "application/json"}
  return wrk.format("POST", "/gradio_api/component_server", headers, bodies[i])
end
function response(status, headers, body)
  replies = replies + 1
  if string.find(body, '"busy": true', 1, true) or string.find(body, '"busy":true', 1, true) then
    busy = busy + 1
  end
end
function done(summary, latency, requests)
  local r, b = 0, 0
  for _, t in ipairs(threads) do r = r + t:get("replies"); b = b + t:get("busy") end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "replies": %d, "busy": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, r, b, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def server_cpu_s(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) of the process `pid`, and of every process under it (the
    reading workers), from /proc."""
    root = psutil.Process(pid)
    main, rest = root.cpu_times(), 0.0
    for p in root.children(recursive=True):
        try:
            t = p.cpu_times()
            rest += t.user + t.system
        except psutil.NoSuchProcess:  # a worker replaced mid-run: its time is lost, and small
            continue
    return main.user + main.system, rest


def server_rss_mb(pid: int) -> float:
    root = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20


def bodies_file(url: str, folder: Path) -> Path:
    """The pad's request bodies, one JSON per line, every frame of every crowd drawing."""
    import httpx

    component = pad_component_id(httpx.get(f"{url}config").json())
    path = folder / "bodies.jsonl"
    lines = []
    for k, (_digit, frames) in enumerate(growing_drawings()):
        for frame in frames:
            body = {"session_hash": f"wrk{k:04d}", "component_id": component, "fn_name": "read_pad"}
            lines.append(json.dumps({**body, "data": {"image": frame, "language": "en"}}))
    path.write_text("\n".join(lines) + "\n")
    return path


def run_wrk(url: str, script: Path, bodies: Path, connections: int, seconds: float) -> dict:
    threads = min(connections, 2)
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s"]
    command += ["-s", str(script), url.rstrip("/") + "/gradio_api/component_server", "--", str(bodies)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    found = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return json.loads(found[0])


def idle_cores(pid: int, seconds: float = 5) -> float:
    """Cores the app uses with no requests (Gradio's and uvicorn's own timers): at a few readings a
    second this share, counted per reading, would swamp the figure."""
    before = sum(server_cpu_s(pid))
    time.sleep(seconds)
    return (sum(server_cpu_s(pid)) - before) / seconds


def level(
    server: AppServer, script: Path, bodies: Path, connections: int, seconds: float, idle: float
) -> dict:
    (main0, rest0), tic = server_cpu_s(server.process.pid), time.monotonic()
    result = run_wrk(server.url, script, bodies, connections, seconds)
    (main1, rest1), wall = server_cpu_s(server.process.pid), time.monotonic() - tic
    main, cpu = main1 - main0, main1 - main0 + rest1 - rest0
    read = result["replies"] - result["busy"]
    row = {
        "connections": connections,
        "per_second": read / (result["duration_us"] / 1e6),
        "p50_ms": result["p50_us"] / 1e3,
        "p99_ms": result["p99_us"] / 1e3,
        "cpu_ms_per_reading": 1e3 * cpu / max(1, read),
        "main_cpu_ms_per_reading": 1e3 * main / max(1, read),  # the app's own process: HTTP, JSON
        "busy_cpu_ms_per_reading": 1e3 * max(0.0, cpu - idle * wall) / max(1, read),  # idle taken out
        "cores_busy": cpu / wall,
        "rss_mb": server_rss_mb(server.process.pid),
        **result,
    }
    errors = sum(result["errors"].values())
    print(
        f"  {connections:>3} connections: {row['per_second']:6.1f} readings/s, p50 {row['p50_ms']:6.1f} ms, "
        f"p99 {row['p99_ms']:6.1f} ms, server CPU {row['cpu_ms_per_reading']:5.2f} ms/reading "
        f"({row['main_cpu_ms_per_reading']:.2f} in the main process) on "
        f"{row['cores_busy']:.2f} cores, busy {result['busy']}, errors {errors}, RSS {row['rss_mb']:.0f} MB",
        flush=True,
    )
    return row


def table(runs: list[dict]) -> str:
    header = ["DIGIT_WORKERS", "connections", "readings/s", "p50 ms", "p99 ms", "server CPU per reading ms"]
    header += ["of it, main process ms", "less the idle app's ms"]
    header += ["server cores busy", "busy", "errors", "server RSS MB (all processes)"]
    body = [
        [run["workers"], r["connections"], f"{r['per_second']:.0f}", f"{r['p50_ms']:.1f}",
         f"{r['p99_ms']:.0f}", f"{r['cpu_ms_per_reading']:.2f}", f"{r['main_cpu_ms_per_reading']:.2f}",
         f"{r['busy_cpu_ms_per_reading']:.2f}", f"{r['cores_busy']:.2f}", r["busy"],
         sum(r["errors"].values()), f"{r['rss_mb']:.0f}"]
        for run in runs
        for r in run["levels"]
    ]  # fmt: skip
    return markdown_table(header, body)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, nargs="+", default=[0, 2], help="DIGIT_WORKERS, one server each")
    p.add_argument("--connections", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--seconds", type=float, default=15)
    args = p.parse_args()
    if shutil.which("wrk") is None:
        sys.exit(
            "bench.crowd_server needs wrk: `apt-get install wrk` (Debian, Ubuntu) or https://github.com/wg/wrk"
        )
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        script = folder / "pad.lua"
        script.write_text(LUA)
        for workers in args.workers:
            print(f"DIGIT_WORKERS={workers}", flush=True)
            env = {"DIGIT_WORKERS": str(workers)}
            with AppServer(folder / f"app-{workers}.log", env=env) as server:
                bodies = bodies_file(server.url, folder)
                run_wrk(server.url, script, bodies, 4, 3)  # warm-up: the workers ready, caches filled
                idle = idle_cores(server.process.pid)
                print(f"  idle: {idle:.3f} cores", flush=True)
                levels = [level(server, script, bodies, c, args.seconds, idle) for c in args.connections]
                tracebacks = server.log().count("Traceback")
            runs.append({"workers": workers, "idle_cores": idle, "levels": levels, "tracebacks": tracebacks})
    text = table(runs)
    text += "\n\nTracebacks in the server logs: " + ", ".join(f"{r['tracebacks']}" for r in runs) + "."
    command = "python -m bench.crowd_server " + " ".join(
        [
            f"--workers {' '.join(map(str, args.workers))}",
            f"--connections {' '.join(map(str, args.connections))}",
            f"--seconds {args.seconds:g}",
        ]
    )
    write("crowd_server", {"runs": runs}, text, command)


if __name__ == "__main__":
    main()
