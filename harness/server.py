"""Run `python app.py` for real on a free loopback port (for the benchmarks and the tests), with
its corrections database beside its log unless `env` names one.

with AppServer(log_path, env={"DIGIT_CONCURRENCY": "4"}) as server:
    server.url, server.process.pid

AppServer(log_path, wrapper=["setpriv", "--inh-caps=-all", "--bounding-set=-all"])  # run it under a command
server = AppServer(log_path, wait=False)   # started in the background; server.ready() before use
AppServer(log_path, errors=path, wait=False).process.wait()   # stderr in a file of its own

harness.server.warm = WarmStarts()   # later servers start from it where they can (harness/warm_start.py)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .warm_start import WarmProcess, WarmStarts

ROOT = Path(__file__).resolve().parent.parent
# The test suite sets this: servers start from its warm interpreter unless they run under a
# wrapper or with an environment it cannot give them. Benchmarks always start cold.
warm: WarmStarts | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """`python app.py` running on a free loopback port until `stop()` (or the end of a `with`)."""

    def __init__(
        self,
        log_path: Path,
        env: dict[str, str] | None = None,
        timeout: float = 120,
        wrapper: list[str] | None = None,
        wait: bool = True,
        errors: Path | None = None,
        no_capabilities: bool = False,
    ) -> None:
        """`no_capabilities`: the app runs with no Linux capabilities, so that root too meets file
        permissions (forked warm and dropped there, or cold under setpriv)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (kept open while the server runs)
        env = {
            **os.environ,
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_SERVER_PORT": str(self.port),
            # corrections go beside the log, never into the checkout's data/ (nor a DIGIT_FEEDBACK_DB
            # of the caller's shell), unless `env` names a database
            "DIGIT_FEEDBACK_DB": str(self.log_path.with_suffix(".sqlite3")),
            **(env or {}),
        }
        self.process: subprocess.Popen | WarmProcess
        if errors is not None:
            Path(errors).write_bytes(b"")
        if warm is not None and not wrapper and warm.fits(env):
            self.process = warm.start(["app.py"], env, ROOT, self.log_path, errors, no_capabilities)
        else:
            if no_capabilities and os.geteuid() == 0:  # (anyone else has none to drop)
                wrapper = [*(wrapper or []), "setpriv", "--inh-caps=-all", "--bounding-set=-all"]
            with open(errors or os.devnull, "ab") as stderr:
                self.process = subprocess.Popen(
                    [*(wrapper or []), sys.executable, "app.py"],
                    cwd=ROOT,
                    env=env,
                    stdout=self._log,
                    stderr=stderr if errors else subprocess.STDOUT,
                )
        self.timeout = timeout
        self._ready = False
        if wait:
            self.ready()

    def ready(self) -> AppServer:
        """Wait until the app answers its page (at once when it already has), up to `timeout`
        seconds from now; RuntimeError with its log when it exits or never answers."""
        deadline = time.monotonic() + self.timeout
        while not self._ready and time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app.py exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    self._ready = response.status == 200
            except OSError:
                time.sleep(0.1)
        if not self._ready:
            self.stop()
            raise RuntimeError(f"app.py did not answer within {self.timeout:.0f} s:\n{self.log()}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
