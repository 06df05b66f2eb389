"""Throw the bad-input catalogue at the running app, round after round, and count.

    python -m bench.reliability                 # writes bench/results/reliability.{json,md}
    python -m bench.reliability --rounds 20

Every file of harness/bad_inputs.py goes to the upload tab (gradio_client, /read_image), and
every pad payload (each file as a data URL, then JSON of the wrong shape, not a data URL, not
base64, megabytes of text, a pad-sized bomb, ...) to the pad's endpoint as the browser sends it,
plus an upload over the size limit, for several rounds, against `python app.py` on loopback.
Counted: requests, answers as expected (a digit, the hint, or a clear refusal), errors
(anything else: a wrong answer, a traceback, a dead server), and the server's memory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
import psutil
from gradio_client import Client, handle_file

from bench.common import markdown_table, write
from harness.bad_inputs import answered_as_expected, catalogue, pad_payloads
from harness.pad_client import PadClient
from harness.server import AppServer


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=10)
    args = p.parse_args()
    payloads = pad_payloads()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {}
        for name, (data, filename, expected) in catalogue().items():
            (folder / filename).write_bytes(data)
            files[name] = (str(folder / filename), expected)
        oversize = b"\x89PNG\r\n\x1a\n" + b"\0" * (11 * 2**20)

        with AppServer(folder / "app.log") as server:
            client, pad = Client(server.url, verbose=False), PadClient(server.url)
            process = psutil.Process(server.process.pid)
            rss_before = process.memory_info().rss
            requests, failures, refused_at_door, rss_rounds = 0, [], 0, []
            tic = time.monotonic()
            for _ in range(args.rounds):
                for name, (path, expected) in files.items():
                    requests += 1
                    try:
                        html, reading = client.predict(handle_file(path), api_name="/read_image")
                        if not answered_as_expected(reading, html, expected):
                            failures.append(f"{name} via /read_image: {reading}")
                    except Exception as e:
                        failures.append(f"{name} via /read_image: {type(e).__name__}: {e}")
                for name, (payload, expected) in payloads.items():
                    requests += 1
                    try:
                        reply = pad.send(payload).json()
                        if not answered_as_expected(reply["reading"], reply["html"], expected):
                            failures.append(f"{name} via the pad: {reply['reading']}")
                    except Exception as e:
                        failures.append(f"{name} via the pad: {type(e).__name__}: {e}")
                requests += 1
                # over the 10 MB limit: Gradio refuses the upload itself
                response = httpx.post(
                    f"{server.url}gradio_api/upload", files={"files": ("big.png", oversize)}, timeout=60
                )
                if response.status_code == 413:
                    refused_at_door += 1
                else:
                    failures.append(f"an upload over the size limit got HTTP {response.status_code}")
                rss_rounds.append(process.memory_info().rss / 2**20)
            seconds = time.monotonic() - tic
            rss_after = process.memory_info().rss
            alive = server.alive()
            tracebacks = server.log().count("Traceback")

    kinds = len(files) + len(payloads) + 1
    rows = [
        ["kinds of bad input (files, pad payloads, an oversize upload)", kinds],
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
            "inputs": sorted(files) + sorted(payloads),
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
