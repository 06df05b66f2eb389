"""The app's settings, read once from the environment: the app is built from them (app.py).

    settings = Settings.from_env()                        # what `python app.py` uses
    settings = Settings(feedback_db=tmp / "db.sqlite3")   # a test's own app, its own database

Environment variables: DIGIT_WEIGHTS (another weights file), DIGIT_FEEDBACK_DB (where visitors'
corrections are kept, only with their consent; default data/corrections.sqlite3 beside app.py),
DIGIT_DATA (where the "Watch it learn" tab finds MNIST, or downloads it: ./data), DIGIT_KIOSK_IDLE
(seconds: a booth tablet's pad clears itself after that long without drawing, with a short header
and large buttons), DIGIT_CONCURRENCY and DIGIT_QUEUE_SIZE (readings at once, and waiting).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from model.feedback import DEFAULT_DB
from model.weights import DEFAULT_WEIGHTS

ROOT = Path(__file__).resolve().parent.parent  # the checkout, where app.py is


@dataclass(frozen=True)
class Settings:
    """Everything that may differ between two runs of the app."""

    weights: Path = Path(DEFAULT_WEIGHTS)
    feedback_db: Path = ROOT / DEFAULT_DB
    data: Path = ROOT / "data"  # MNIST for the "Watch it learn" tab
    kiosk_idle: float = 0.0  # > 0: a booth tablet's idle reset, in seconds
    concurrency: int = 4  # readings worked on at once
    queue_size: int = 256  # waiting readings before "busy, try again"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """The settings from DIGIT_* variables; an unset or empty one keeps its default. Raises
        ValueError, naming the variable, for a number that is not one."""
        default = cls()
        return cls(
            weights=Path(env.get("DIGIT_WEIGHTS") or default.weights),
            feedback_db=Path(env.get("DIGIT_FEEDBACK_DB") or default.feedback_db),
            data=Path(env.get("DIGIT_DATA") or default.data),
            kiosk_idle=_number(env, "DIGIT_KIOSK_IDLE", float, default.kiosk_idle),
            concurrency=_number(env, "DIGIT_CONCURRENCY", int, default.concurrency),
            queue_size=_number(env, "DIGIT_QUEUE_SIZE", int, default.queue_size),
        )


def _number(env: Mapping[str, str], name: str, kind: type, default: float) -> float:
    text = env.get(name) or ""
    if not text.strip():
        return default
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a {'whole ' if kind is int else ''}number") from None
