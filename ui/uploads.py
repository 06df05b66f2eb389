"""Files a client names: only this server's own uploads may be opened, whatever path is sent.

    path = uploaded_file(value)     # a path inside Gradio's upload folder, or raises ImageError
    start_sweeping(every_s=300, older_than_s=600)   # the folder emptied of old files, for good

Gradio checks that a file came through its upload route only when the client marks the value as
a file ({"meta": {"_type": "gradio.FileData"}}); a raw {"path": "/etc/..."} skips that check and
reached our decoder (issue 24, C1: docs/screenshot.png was read back as "120263"). So every
endpoint that opens a client-given file asks here first. Symlinks and ".." are resolved before
the check, and every refusal reads the same, so a client cannot learn whether a path exists.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
import time
from pathlib import Path

from gradio.utils import get_upload_folder

from model import ImageError

# One message for outside, missing, a folder, a device or a dangling link: no existence oracle.
log = logging.getLogger(__name__)
REFUSED = "that file is not one uploaded to this page (or it has expired); please upload it again"


def upload_folder() -> Path:
    """Where Gradio keeps this server's uploads and the files it caches (example photos too)."""
    return Path(get_upload_folder()).resolve()


def uploaded_file(value: object) -> Path:
    """The real path of a file the client names (a path string, or Gradio's {"path": ...}),
    when it is a regular file inside the upload folder; raises ImageError(REFUSED) otherwise."""
    if isinstance(value, dict):
        value = value.get("path")
    if not isinstance(value, str) or not value or "\0" in value:
        raise ImageError(REFUSED)
    try:
        path = Path(value).resolve()  # follows every symlink, removes ".."
        if not path.is_relative_to(upload_folder()) or not stat.S_ISREG(os.stat(path).st_mode):
            raise ImageError(REFUSED)
    except (OSError, RuntimeError, ValueError):  # missing, unreadable, a symlink loop
        raise ImageError(REFUSED) from None
    return path


def sweep(folder: Path, older_than_s: float, now: float | None = None) -> int:
    """Delete files under `folder` last changed over `older_than_s` ago, and the folders left
    empty; the number of files deleted. Gradio's own delete_cache removes only the files it
    tracks, and leaves a folder per file behind."""
    now = time.time() if now is None else now
    deleted = 0
    for root, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = Path(root) / name
            try:
                if now - path.lstat().st_ctime > older_than_s:
                    path.unlink()
                    deleted += 1
            except OSError:  # gone already, or in use by another app's server: next time
                continue
        here = Path(root)
        with contextlib.suppress(OSError):  # only an old, empty folder: a new one is being filled
            if here != folder and now - here.lstat().st_mtime > older_than_s:
                here.rmdir()
    return deleted


def start_sweeping(every_s: float, older_than_s: float, folder: Path | None = None) -> threading.Thread:
    """Sweep the upload folder every `every_s` seconds, in a daemon thread, for the server's life."""

    def run() -> None:
        while True:
            time.sleep(every_s)
            try:
                sweep(folder or upload_folder(), older_than_s)
            except Exception:  # a sweep that fails is tried again; the server carries on
                log.exception("sweeping the upload folder failed")

    thread = threading.Thread(target=run, name="upload-sweeper", daemon=True)
    thread.start()
    return thread
