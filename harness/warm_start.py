"""Start `python app.py` in about a second instead of ten, for the test suite.

Most of an app's start is importing torch and Gradio: about 10 s of CPU on the 2-core machine,
and the suite starts the app some twenty times. A warm interpreter imports them once and forks
a child for each start; the child runs app.py as `python app.py` would (`__main__`, its own
environment, working folder and log, its exit status), so the server the tests talk to is the
real one.

    with WarmStarts() as warm:
        process = warm.start(["app.py"], env, cwd, log_path)   # Popen-like: pid, poll(), wait(), ...
        warm.run(["train.py", "--help"], env, cwd)   # as subprocess.run(..., capture_output=True, text=True)
        warm.run(["-m", "model.feedback.export", "db"], env, cwd)
        warm.run(["-c", "import app; print(app.__file__)"], env, cwd)   # as python -c

Under pytest-xdist one warm interpreter serves every worker (`WarmStarts.shared()`, started by the
controller: tests/conftest.py): each worker would otherwise import torch and Gradio into one of its
own, about 11 s of CPU. It listens on a Unix socket named by $WARM_START_SOCKET, imports at its
first start, and ends when its stdin (the controller's pipe) closes.

Only what cannot have been read at import differs from start to start: the app's own settings
(DIGIT_*), its port and a few Gradio variables read when it runs (`fits`). Anything else, a
ZeroGPU Space's `spaces` for one, is started cold by harness/server.py, as are benchmarks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

# The variables a child may set differently from the warm interpreter, besides the app's own
# settings and pytest's (PYTEST_CURRENT_TEST names each test): read when the app runs, not when
# torch or Gradio are imported (gradio/http_server.py reads the port at import, but the
# app passes it to launch()).
RUN_TIME = ("GRADIO_SERVER_PORT", "GRADIO_SERVER_NAME", "GRADIO_HEARTBEAT_INTERVAL")
# Set by torch in the process that imports its inductor's config (a training run in the test
# process does): the warm interpreter has imported it too, and a cold app would set the same
# default folder. Counted as a difference, it sent every later start of that pytest worker cold
# (about 10 s of CPU each; 91 s in one run of three files).
SET_BY_TORCH = ("TORCHINDUCTOR_CACHE_DIR",)
# Set by pytest-xdist in its workers (the terminal's size, read when something is printed, not
# at import): the shared warm interpreter started in the controller, without them.
SET_BY_XDIST = ("COLUMNS", "LINES")
# What app.py sets before it imports Gradio (huggingface_hub reads HF_HUB_OFFLINE at import).
APP_DEFAULTS = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
SOCKET = "WARM_START_SOCKET"  # where the shared warm interpreter listens (pytest-xdist's workers)


def fits(env: dict[str, str], base: dict[str, str]) -> bool:
    """Whether an app with environment `env` can start from an interpreter started with `base`:
    they differ only in the app's settings and what is read at run time."""
    env = {**APP_DEFAULTS, **env}  # what app.py would see when it imports Gradio
    keys = (env.keys() | base.keys()) - set(RUN_TIME) - set(SET_BY_TORCH) - set(SET_BY_XDIST)
    return all(env.get(k) == base.get(k) for k in keys if not k.startswith(("DIGIT_", "PYTEST_")))


class WarmProcess:
    """A child of the warm interpreter, with the part of subprocess.Popen the harness uses."""

    def __init__(self, starts: WarmStarts, pid: int, args: list[str]) -> None:
        self.starts, self.pid, self.args = starts, pid, args
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.starts.ask({"op": "status", "pid": self.pid})["code"]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class WarmStarts:
    """The warm interpreter (`python -m harness.warm_start`), and the starts it serves."""

    def __init__(self) -> None:
        self.env = {**APP_DEFAULTS, **os.environ}
        self.process: subprocess.Popen | None = None  # started at the first start: a run may need none
        self.lock = threading.Lock()
        self.socket = os.environ.get(SOCKET)  # a shared one's, if this process was given one
        self._stream = None  # to and from the warm interpreter: its pipes, or the shared one's socket
        if self.socket:  # the shared one started with the controller's environment, not this one's
            self.env = self.ask({"op": "env"})["env"]

    @staticmethod
    def shared(folder: Path, eager: bool = False) -> subprocess.Popen:
        """Start a warm interpreter for every process that inherits $WARM_START_SOCKET (set here):
        it listens on a socket in `folder` and ends when the returned process's stdin closes.
        `eager`: it imports at once, while the tests are being collected, not at the first start."""
        os.environ[SOCKET] = str(Path(folder) / "warm.sock")
        return subprocess.Popen(
            [sys.executable, "-m", "harness.warm_start", "--listen", os.environ[SOCKET]]
            + (["--eager"] if eager else []),
            cwd=Path(__file__).resolve().parent.parent,
            env={**APP_DEFAULTS, **os.environ},
            stdin=subprocess.PIPE,
        )

    def _connect(self):
        if self.socket:
            import socket

            deadline = time.monotonic() + 60
            while True:  # the controller has just started it: its socket may not be there yet
                try:
                    connection = socket.socket(socket.AF_UNIX)
                    connection.connect(self.socket)
                    return connection.makefile("rw", encoding="utf-8")
                except OSError:
                    connection.close()
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness.warm_start"],
            cwd=Path(__file__).resolve().parent.parent,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return _Pipes(self.process)

    def ask(self, request: dict) -> dict:
        with self.lock:
            if self._stream is None:
                self._stream = self._connect()
            self._stream.write(json.dumps(request) + "\n")
            self._stream.flush()
            reply = self._stream.readline()
        if not reply:
            raise RuntimeError("the warm interpreter is gone")
        return json.loads(reply)

    def fits(self, env: dict[str, str]) -> bool:
        """Whether an app with this environment can start warm (see `fits`)."""
        return fits(env, self.env)

    def start(
        self,
        args: list[str],
        env: dict[str, str],
        cwd: Path,
        log: Path,
        errors: Path | None = None,
        no_capabilities: bool = False,
    ) -> WarmProcess:
        """`python *args` with this environment, folder and log (stdout, and stderr unless
        `errors` names a file of its own); with `no_capabilities`, as under `setpriv
        --inh-caps=-all --bounding-set=-all` (see drop_capabilities)."""
        request = {"op": "start", "args": args, "env": env, "cwd": str(cwd), "log": str(log)}
        request |= {"errors": str(errors or log), "no_capabilities": no_capabilities}
        pid = self.ask(request)["pid"]
        if self.socket and os.environ.get("SUITE_CPU_DIR") and os.environ.get("PYTEST_XDIST_WORKER"):
            # for bench/suite_cpu.py: which pytest worker's test started it (the shared interpreter,
            # a child of the controller, forked it; a forked child's /proc environ is its parent's)
            Path(os.environ["SUITE_CPU_DIR"], f"started-{pid}").write_text(os.environ["PYTEST_XDIST_WORKER"])
        return WarmProcess(self, pid, args)

    def run(
        self, args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300
    ) -> subprocess.CompletedProcess:
        """`python *args` (a script, `-m module` or `-c code`) run to its end, its output captured as text:
        what subprocess.run(..., capture_output=True, text=True, timeout=...) gives."""
        with tempfile.TemporaryDirectory(prefix="warm-run-") as folder:
            out, err = Path(folder) / "stdout", Path(folder) / "stderr"
            process = self.start(args, env, cwd, out, errors=err)
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(15)
                raise
            stdout, stderr = out.read_text(errors="replace"), err.read_text(errors="replace")
            return subprocess.CompletedProcess([sys.executable, *args], code, stdout, stderr)

    def close(self) -> None:
        if self.socket and self._stream is not None:  # the shared one: the controller ends it
            self._stream.close()
            self._stream = None
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self) -> WarmStarts:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Pipes:
    """A warm interpreter's stdin and stdout as one stream, as a socket's makefile is."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process

    def write(self, text: str) -> None:
        self.process.stdin.write(text)

    def flush(self) -> None:
        self.process.stdin.flush()

    def readline(self) -> str:
        return self.process.stdout.readline()

    def close(self) -> None:
        self.process.stdin.close()


PR_CAPBSET_DROP = 24  # linux/prctl.h
CAPABILITY_VERSION_3 = 0x20080522  # linux/capability.h: 64-bit sets, as two 32-bit words


def drop_capabilities() -> None:
    """Give up every Linux capability, now and across exec, as `setpriv --inh-caps=-all
    --bounding-set=-all` does for the program it starts: root then meets file permissions as
    anyone does (a test's read-only database). A user without capabilities loses nothing."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    cap = 0
    while libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:  # -1 (EINVAL) past the last one
        cap += 1
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)  # this process
    sets = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable (x2 words): all empty
    if libc.capset(header, sets) != 0:
        raise OSError(ctypes.get_errno(), "capset: could not drop the capabilities")


def _run_child(request: dict, inherited: list[int]) -> None:
    """In the forked child: become `python *args` (a script, `-m module` or `-c code`) with the request's
    environment, then exit. `inherited`: the warm interpreter's sockets, closed here."""
    import atexit
    import runpy
    import traceback

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd in inherited:
        os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in ((1, request["log"]), (2, request["errors"])):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(opened, fd)
        os.close(opened)
    if request.get("no_capabilities"):
        drop_capabilities()
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    args = request["args"]
    if args[0] == "-m":  # as `python -m`: the working folder first on the path
        sys.argv = args[1:]
        sys.path[0] = os.getcwd()
    elif args[0] == "-c":  # as `python -c`: the working folder first on the path, argv[0] "-c"
        sys.argv = ["-c", *args[2:]]
        sys.path[0] = ""
    else:
        script = os.path.abspath(args[0])
        sys.argv = args
        sys.path[0] = os.path.dirname(script)
    code = 0
    try:
        if args[0] == "-m":
            runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        elif args[0] == "-c":
            main = sys.modules["__main__"] = types.ModuleType("__main__")  # (this file's stays ours)
            exec(compile(args[1], "<string>", "exec"), main.__dict__)
        else:
            runpy.run_path(script, run_name="__main__")
    except SystemExit as e:  # as the interpreter treats it: None is 0, a message goes to stderr
        if isinstance(e.code, int) or e.code is None:
            code = e.code or 0
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    try:  # what a normal interpreter exit runs: waiting for threads, then atexit
        threading._shutdown()
        atexit._run_exitfuncs()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _imports() -> None:
    """What every app imports, and what every training run imports later."""
    import gradio  # noqa: F401
    import numpy  # noqa: F401
    import PIL.Image  # noqa: F401
    import safetensors.torch  # noqa: F401
    import torch

    # use_deterministic_algorithms imports the inductor's settings, and the first optimizer
    # torch._dynamo (some 2.5 s of CPU each)
    import torch._dynamo
    import torch._inductor.config  # noqa: F401


def serve(listen: str | None = None, eager: bool = False) -> None:
    """Fork a child per start request: on stdin (replies on stdout), or, with `listen`, from any
    process that connects to that Unix socket, until stdin closes. Imports at the first start, or
    with `eager` at once (requests wait in the socket's queue meanwhile)."""
    import selectors
    import socket

    codes: dict[int, int] = {}
    imported = False

    def reap(*_) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            codes[pid] = os.waitstatus_to_exitcode(status)

    def answer(request: dict, inherited: list[int]) -> dict:
        nonlocal imported
        if request["op"] == "env":
            return {"env": dict(os.environ)}
        if request["op"] != "start":
            reap()
            return {"code": codes.get(request["pid"])}
        if not imported:
            _imports()
            imported = True
        assert threading.active_count() == 1, "forking is only safe with no other thread"
        pid = os.fork()
        if pid == 0:
            _run_child(request, inherited)
        codes.pop(pid, None)  # an earlier child's status, if the pid is used again
        return {"pid": pid}

    signal.signal(signal.SIGCHLD, reap)
    if listen is None:
        for line in sys.stdin:
            sys.stdout.write(json.dumps(answer(json.loads(line), [])) + "\n")
            sys.stdout.flush()
        return
    server = socket.socket(socket.AF_UNIX)
    server.bind(listen)
    server.listen()
    if eager:
        _imports()
        imported = True
    chosen = selectors.DefaultSelector()  # one thread, one request at a time: forking stays safe
    chosen.register(server, selectors.EVENT_READ)
    chosen.register(sys.stdin.buffer, selectors.EVENT_READ)
    pending: dict[socket.socket, bytes] = {}
    while True:
        for key, _ in chosen.select():
            if key.fileobj is sys.stdin.buffer:
                if not os.read(sys.stdin.fileno(), 4096):  # the controller is done (or gone)
                    server.close()
                    os.unlink(listen)
                    return
            elif key.fileobj is server:
                connection, _ = server.accept()
                chosen.register(connection, selectors.EVENT_READ)
                pending[connection] = b""
            else:
                connection = key.fileobj
                data = connection.recv(1 << 16)
                if not data:
                    chosen.unregister(connection)
                    connection.close()
                    del pending[connection]
                    continue
                pending[connection] += data
                while b"\n" in pending[connection]:
                    line, pending[connection] = pending[connection].split(b"\n", 1)
                    inherited = [server.fileno(), *(c.fileno() for c in pending)]
                    reply = answer(json.loads(line), inherited)
                    connection.sendall((json.dumps(reply) + "\n").encode())


if __name__ == "__main__":
    serve(sys.argv[2] if sys.argv[1:2] == ["--listen"] else None, eager="--eager" in sys.argv)
