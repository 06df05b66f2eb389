"""A stand-in for ZeroGPU's device API, to run the app as on a ZeroGPU Space, on any machine.

    with DeviceApi() as api:                       # a loopback HTTP server
        env = api.env(spaces_dir)                  # SPACES_ZERO_GPU=true, its URL, PYTHONPATH
        ... AppServer(log, env=env) ...
        api.requests                               # [(path, query), ...] that `spaces` sent

    python -m harness.zerogpu [PORT]               # for a manual run: prints the command to use

With SPACES_ZERO_GPU=true, `spaces` (0.51.3) calls the API at launch, POST /startup-report, as soon
as one function is decorated with @spaces.GPU, and launch fails when nothing answers (so a URL
where nothing listens only simulates an app with no GPU function). This answers that with 200 and
every POST /schedule (a GPU asked for) with 503, which `spaces` turns into its "No GPU was
available" error for the visitor: the app's ZeroGPU path up to the GPU, without a GPU.
"""

from __future__ import annotations

import http.server
import os
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SPACES_VERSION = "0.51.3"  # what the notes and tests simulate (pip install --no-deps spaces==...)


class DeviceApi:
    """A loopback server that answers `spaces` as ZeroGPU's device API would with no GPU free."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                url = urlsplit(self.path)
                api.requests.append((url.path, {k: v[-1] for k, v in parse_qs(url.query).items()}))
                self.send_response(503 if url.path == "/schedule" else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def env(self, spaces_dir: str | Path | None = None) -> dict[str, str]:
        """Environment variables that make `spaces` (found in `spaces_dir`, if given) act as on ZeroGPU."""
        env = {"SPACES_ZERO_GPU": "true", "SPACES_ZERO_DEVICE_API_URL": self.url}
        if spaces_dir is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(spaces_dir), os.environ.get("PYTHONPATH")]))
        return env

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> DeviceApi:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":
    api = DeviceApi(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(
        f"ZeroGPU device API stand-in on {api.url}. In another shell:\n"
        f"  pip install --target /tmp/spaces-pkg --no-deps spaces=={SPACES_VERSION}\n"
        f"  SPACES_ZERO_GPU=true SPACES_ZERO_DEVICE_API_URL={api.url} \\\n"
        "    PYTHONPATH=/tmp/spaces-pkg python app.py"
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        api.close()
