"""Visitors teach the model: their corrections in a SQLite file, and a dataset made from them.

    from model.feedback import Correction, FeedbackStore, parse_label
    store = FeedbackStore.open(path)                  # schema, migrations, one writer thread
    store.add(Correction.of(reading, 0, parse_label("7"), drawing, weights=..., session=...))

    schema.py      the table and its migrations (PRAGMA user_version)
    writer.py      the single writer thread: queued rows, group commits, acknowledged after commit
    store.py       FeedbackStore: open/check the file, add rows, read the booth's tally
    correction.py  a row: the server's own reading of the drawing, the label, the grey drawing
    tally.py       right N of M today, and what each digit was read as
    split.py       the held-out share of visitor digits, chosen by hash
    export.py      `python -m model.feedback.export DB OUT`: MNIST-format IDX files, PNGs, a CSV

No Gradio here; the app's side is ui/corrections.py and ui/feedback.py.
"""

from .correction import Correction, LabelError, anonymous, parse_label, weights_digest
from .errors import FeedbackBusy, FeedbackError, FeedbackFull, FeedbackOff
from .store import DEFAULT_DB, DEFAULT_MAX_BYTES, FeedbackStore
from .tally import Tally, start_of_today

__all__ = [
    "DEFAULT_DB",
    "DEFAULT_MAX_BYTES",
    "Correction",
    "FeedbackBusy",
    "FeedbackError",
    "FeedbackFull",
    "FeedbackOff",
    "FeedbackStore",
    "LabelError",
    "Tally",
    "anonymous",
    "parse_label",
    "start_of_today",
    "weights_digest",
]
