"""Files a client names: only this server's own uploads may be opened, whatever path is sent.

    path = uploaded_file(value)     # a path inside Gradio's upload folder, or raises ImageError

Gradio checks that a file came through its upload route only when the client marks the value as
a file ({"meta": {"_type": "gradio.FileData"}}); a raw {"path": "/etc/..."} skips that check and
reached our decoder (issue 24, C1: docs/screenshot.png was read back as "120263"). So every
endpoint that opens a client-given file asks here first. Symlinks and ".." are resolved before
the check, and every refusal reads the same, so a client cannot learn whether a path exists.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from gradio.utils import get_upload_folder

from model import ImageError

# One message for outside, missing, a folder, a device or a dangling link: no existence oracle.
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
