"""What the server can take: `wrk` (a C load generator, almost no client CPU) POSTs real pad
drawings to the pad's endpoint, closed loop, and the server's own CPU is read from /proc.

    python -m bench.crowd_server                          # DIGIT_WORKERS 0 and 2; 1, 8, 32 connections
    python -m bench.crowd_server --workers 2 --connections 32 --seconds 30
    python -m bench.crowd_server --workers 2 --soak 120          # memory: RSS every 5 s under 32 connections

The drawings are the crowd's (bench/crowd.py: 20 digits, each as it grows, 12 frames), encoded
once before the run as the JSON bodies ui/pad.js sends to /gradio_api/component_server: the
growing frames marked live, with the digits their strokes can hold, the finished one as the pen-up
frame (`--frames final`: every frame as a pen-up frame, the heavier mix runs before 2026-12-03
measured; `--frames pad final`: both). For each
worker count the app is started afresh (`python app.py`, DIGIT_WORKERS=N), warmed up, then each
connection count runs for `--seconds`. Reported: readings/s, wrk's latency p50/p99, and the
server's CPU per reading: utime+stime of the app and all its processes (the reading workers),
from /proc before and after, over the readings answered (and the main process's share: HTTP,
JSON, passing drawings to the workers; and the whole less what the app burns idle, measured for
5 s before the levels, which matters when the machine gives it only a few readings a second).
That figure hardly depends on the client or on other load on the machine; readings/s and
latency do. "busy" counts the gate's
"try again" replies (ui/admission.py), which are answered but not read.

With `--soak S`, after the levels, wrk runs for S seconds more at the last connection count while
the RSS of all the server's processes is sampled every 5 s: first, last and largest, and last
over first (the memory target: flat within 5%), beside PSS (shared pages counted once: the
workers share torch's libraries with each other and the page cache, which RSS counts in each).

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
from bench.crowd import MIXES, growing_drawings, pad_payloads
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
    """Resident memory of the app and all its processes, in MB (shared pages counted in each)."""
    root = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20


def server_pss_mb(pid: int) -> float:
    """Proportional memory of the app and all its processes, in MB: a page shared by k of them
    counts 1/k in each, so the sum is what they take from the machine together."""
    root = psutil.Process(pid)
    return sum(p.memory_full_info().pss for p in [root, *root.children(recursive=True)]) / 2**20


def bodies_file(url: str, folder: Path, mix: str = "pad") -> Path:
    """The pad's request bodies, one JSON per line, every frame of every crowd drawing, as the
    pad sends them (bench.crowd.pad_payloads: `mix` "pad", or "final": all as pen-up frames)."""
    import httpx

    component = pad_component_id(httpx.get(f"{url}config").json())
    path = folder / f"bodies-{mix}.jsonl"
    lines = []
    for k, (_digit, frames) in enumerate(growing_drawings()):
        for payload in pad_payloads(frames, mix):
            body = {"session_hash": f"wrk{k:04d}", "component_id": component, "fn_name": "read_pad"}
            lines.append(json.dumps({**body, "data": payload}))
    path.write_text("\n".join(lines) + "\n")
    return path


def start_wrk(url: str, script: Path, bodies: Path, connections: int, seconds: float) -> subprocess.Popen:
    threads = min(connections, 2)
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s"]
    command += ["-s", str(script), url.rstrip("/") + "/gradio_api/component_server", "--", str(bodies)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_result(wrk: subprocess.Popen, seconds: float) -> dict:
    """The figures of a wrk started by start_wrk, once it ends."""
    stdout, stderr = wrk.communicate(timeout=seconds + 60)
    found = [line for line in stdout.splitlines() if line.startswith("{")]
    if wrk.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed ({wrk.returncode}):\n{stdout[-2000:]}\n{stderr[-2000:]}")
    return json.loads(found[0])


def run_wrk(url: str, script: Path, bodies: Path, connections: int, seconds: float) -> dict:
    return wrk_result(start_wrk(url, script, bodies, connections, seconds), seconds)


def soak(server: AppServer, script: Path, bodies: Path, connections: int, seconds: float) -> dict:
    """wrk for `seconds` at `connections` while the server's memory is sampled every 5 s."""
    pid = server.process.pid
    samples = [(0.0, server_rss_mb(pid), server_pss_mb(pid))]
    tic = time.monotonic()
    wrk = start_wrk(server.url, script, bodies, connections, seconds)
    while wrk.poll() is None:
        time.sleep(min(5.0, max(0.1, tic + 5 * len(samples) - time.monotonic())))
        if wrk.poll() is None:
            samples.append((time.monotonic() - tic, server_rss_mb(pid), server_pss_mb(pid)))
    result = wrk_result(wrk, seconds)
    rss = [s[1] for s in samples]
    row = {
        "connections": connections,
        "seconds": seconds,
        "samples": samples,
        "rss_first_mb": rss[0],
        "rss_last_mb": rss[-1],
        "rss_max_mb": max(rss),
        "rss_growth": rss[-1] / rss[0] - 1,
        "pss_last_mb": samples[-1][2],
        "per_second": (result["replies"] - result["busy"]) / (result["duration_us"] / 1e6),
        **result,
    }
    print(
        f"  soak {seconds:g} s at {connections} connections: RSS {rss[0]:.0f} -> {rss[-1]:.0f} MB "
        f"(max {max(rss):.0f}, {100 * row['rss_growth']:+.1f}%), PSS {samples[-1][2]:.0f} MB, "
        f"{row['per_second']:.1f} readings/s, {len(samples)} samples",
        flush=True,
    )
    return row


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


def soak_table(runs: list[dict]) -> str:
    header = ["DIGIT_WORKERS", "connections", "seconds", "readings/s", "RSS first MB", "RSS last MB"]
    header += ["RSS max MB", "last over first", "PSS last MB"]
    body = [
        [run["workers"], s["connections"], f"{s['seconds']:g}", f"{s['per_second']:.0f}",
         f"{s['rss_first_mb']:.0f}", f"{s['rss_last_mb']:.0f}", f"{s['rss_max_mb']:.0f}",
         f"{100 * s['rss_growth']:+.1f}%", f"{s['pss_last_mb']:.0f}"]
        for run in runs
        if (s := run.get("soak"))
    ]  # fmt: skip
    return markdown_table(header, body)


def table(runs: list[dict]) -> str:
    header = [
        "DIGIT_WORKERS",
        "frames",
        "connections",
        "readings/s",
        "p50 ms",
        "p99 ms",
        "server CPU per reading ms",
    ]
    header += ["of it, main process ms", "less the idle app's ms"]
    header += ["server cores busy", "busy", "errors", "server RSS MB (all processes)"]
    body = [
        [run["workers"], r["frames"], r["connections"], f"{r['per_second']:.0f}", f"{r['p50_ms']:.1f}",
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
    p.add_argument("--soak", type=float, default=0, help="then seconds more at the last level, RSS sampled")
    p.add_argument(
        "--frames", nargs="+", choices=MIXES, default=["pad"],
        help='"pad": live frames as ui/pad.js sends them (with max_digits), "final": all as pen-up frames',
    )  # fmt: skip
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
                mixes = {mix: bodies_file(server.url, folder, mix) for mix in args.frames}
                bodies = mixes[args.frames[0]]
                run_wrk(server.url, script, bodies, 4, 3)  # warm-up: the workers ready, caches filled
                idle = idle_cores(server.process.pid)
                print(f"  idle: {idle:.3f} cores", flush=True)
                levels = []
                for mix, frames in mixes.items():
                    print(f"  frames: {mix}", flush=True)
                    levels += [
                        level(server, script, frames, c, args.seconds, idle) | {"frames": mix}
                        for c in args.connections
                    ]
                soaked = soak(server, script, bodies, args.connections[-1], args.soak) if args.soak else None
                tracebacks = server.log().count("Traceback")
            run = {"workers": workers, "idle_cores": idle, "levels": levels, "tracebacks": tracebacks}
            runs.append(run | ({"soak": soaked} if soaked else {}))
    text = table(runs)
    if args.soak:
        text += "\n\nMemory over the soak (RSS of all the server's processes, sampled every 5 s):\n\n"
        text += soak_table(runs)
    text += "\n\nTracebacks in the server logs: " + ", ".join(f"{r['tracebacks']}" for r in runs) + "."
    command = "python -m bench.crowd_server " + " ".join(
        [
            f"--workers {' '.join(map(str, args.workers))}",
            f"--connections {' '.join(map(str, args.connections))}",
            f"--seconds {args.seconds:g}",
            f"--frames {' '.join(args.frames)}",
            *([f"--soak {args.soak:g}"] if args.soak else []),
        ]
    )
    write("crowd_server", {"runs": runs}, text, command)


if __name__ == "__main__":
    main()
