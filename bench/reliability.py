"""Throw the bad-input catalogue at the running app, round after round, and count.

    python -m bench.reliability                 # writes bench/results/reliability.{json,md}
    python -m bench.reliability --rounds 20

Every input of bench/bad_inputs.py goes to both endpoints (the upload tab and the pad), plus
the empty values and an upload over the size limit, for several rounds, against `python app.py`
on loopback. Counted: requests, answers as expected (a digit, the hint, or a clear refusal),
errors (anything else: a wrong answer, a traceback, a dead server), and the server's memory
before the first round and after the last.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import psutil
from gradio_client import Client, handle_file

from bench.common import markdown_table, write
from harness.bad_inputs import catalogue
from harness.server import AppServer

EMPTY_SKETCHES = [None, {"background": None, "layers": [], "composite": None, "id": None}]


def outcome(reading: dict, html: str, expected: str) -> bool:
    if "Traceback" in html or "Traceback" in reading.get("message", ""):
        return False
    if expected == "hint":
        return reading["number"] == "" and "Draw a digit" in reading["message"]
    if expected == "refused":
        return reading["number"] == "" and reading["message"].startswith("Sorry, I can't read that image")
    return reading["number"] == expected


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=10)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {}
        for name, (data, filename, expected) in catalogue().items():
            (folder / filename).write_bytes(data)
            files[name] = (str(folder / filename), expected)
        oversize = folder / "oversize.png"
        oversize.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (11 * 2**20))

        with AppServer(folder / "app.log") as server:
            client = Client(server.url, verbose=False)
            process = psutil.Process(server.process.pid)
            rss_before = process.memory_info().rss
            requests, failures, refused_at_door, rss_rounds = 0, [], 0, []
            tic = time.monotonic()
            for _ in range(args.rounds):
                for name, (path, expected) in files.items():
                    for api, value in (
                        ("/read_image", handle_file(path)),
                        (
                            "/read_sketch",
                            {"background": None, "layers": [], "composite": handle_file(path), "id": None},
                        ),
                    ):
                        requests += 1
                        try:
                            html, reading = client.predict(value, api_name=api)
                            if not outcome(reading, html, expected):
                                failures.append(f"{name} via {api}: {reading}")
                        except Exception as e:
                            failures.append(f"{name} via {api}: {type(e).__name__}: {e}")
                for value in EMPTY_SKETCHES:
                    requests += 1
                    html, reading = client.predict(value, api_name="/read_sketch")
                    if not outcome(reading, html, "hint"):
                        failures.append(f"empty sketch {value}: {reading}")
                requests += 1
                try:  # over the 10 MB limit: Gradio refuses the upload itself
                    client.predict(handle_file(str(oversize)), api_name="/read_image")
                    failures.append("an upload over the size limit was accepted")
                except Exception:
                    refused_at_door += 1
                rss_rounds.append(process.memory_info().rss / 2**20)
            seconds = time.monotonic() - tic
            rss_after = process.memory_info().rss
            alive = server.alive()
            tracebacks = server.log().count("Traceback")

    kinds = len(files) + len(EMPTY_SKETCHES) + 1
    rows = [
        ["kinds of bad input", kinds],
        ["requests (all rounds, both endpoints)", requests],
        ["answered as expected (reading, hint or clear refusal)", requests - len(failures)],
        ["errors", len(failures)],
        ["oversize uploads refused by the server", f"{refused_at_door}/{args.rounds}"],
        ["tracebacks in the server log", tracebacks],
        ["server alive at the end", "yes" if alive else "NO"],
        ["server memory before → after", f"{rss_before / 2**20:.0f} MB → {rss_after / 2**20:.0f} MB"],
        ["server memory after round 1 → after the last", f"{rss_rounds[0]:.0f} MB → {rss_rounds[-1]:.0f} MB"],
    ]
    write(
        "reliability",
        {
            "rounds": args.rounds,
            "kinds": kinds,
            "inputs": sorted(files),
            "requests": requests,
            "errors": failures,
            "refused_at_door": refused_at_door,
            "tracebacks_in_log": tracebacks,
            "server_alive": alive,
            "rss_mb_before": rss_before / 2**20,
            "rss_mb_after": rss_after / 2**20,
            "seconds": seconds,
        },
        markdown_table(["bad-input catalogue", ""], rows),
        f"python -m bench.reliability --rounds {args.rounds}",
    )


if __name__ == "__main__":
    main()
