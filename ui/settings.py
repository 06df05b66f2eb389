"""The app's settings, read once from the environment: the app is built from them (app.py).

    settings = Settings.from_env()                        # what `python app.py` uses
    settings = Settings(feedback_db=tmp / "db.sqlite3")   # a test's own app, its own database

Environment variables: DIGIT_WEIGHTS (another weights file), DIGIT_FEEDBACK_DB (where visitors'
corrections are kept, only with their consent; default data/corrections.sqlite3 beside app.py),
DIGIT_DATA (where the "Watch it learn" tab finds MNIST, or downloads it: ./data), DIGIT_KIOSK_IDLE
(seconds: a booth tablet's pad clears itself after that long without drawing, with a short header
and large buttons), DIGIT_CONCURRENCY and DIGIT_QUEUE_SIZE (readings at once, and waiting),
DIGIT_WORKERS (reading worker processes, ui/workers.py: one per core by default where there are
two or more cores; 0 reads in the app's own process, as Settings() does),
DIGIT_FEEDBACK_MAX_MB (the corrections database's size cap, then "corrections are full"),
DIGIT_BOOTH_SHARE (rows one session or address counts on the booth screen a day),
DIGIT_CORRECTIONS_PER_MINUTE and DIGIT_CORRECTIONS_ALL_PER_MINUTE (per address and per session,
and from everyone together), DIGIT_MONITORING (1: Gradio's monitoring page, public when on).
Who a client is (DIGIT_BEHIND_PROXY, DIGIT_PROXY_HOPS) is read by ui/clients.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from model.feedback import DEFAULT_DB, DEFAULT_MAX_BYTES
from model.weights import DEFAULT_WEIGHTS
from ui.corrections import BOOTH_SHARE, OVERALL, PER_CLIENT

ROOT = Path(__file__).resolve().parent.parent  # the checkout, where app.py is


@dataclass(frozen=True)
class Settings:
    """Everything that may differ between two runs of the app."""

    weights: Path = Path(DEFAULT_WEIGHTS)
    feedback_db: Path = ROOT / DEFAULT_DB
    data: Path = ROOT / "data"  # MNIST for the "Watch it learn" tab
    kiosk_idle: float = 0.0  # > 0: a booth tablet's idle reset, in seconds
    concurrency: int = 4  # readings worked on at once
    workers: int = 0  # reading worker processes; 0: read in the app's process (ui/workers.py)
    queue_size: int = 256  # waiting readings before "busy, try again"
    feedback_max_mb: int = DEFAULT_MAX_BYTES // 2**20  # the corrections database's size cap
    booth_share: int = BOOTH_SHARE  # rows one session or address counts on the booth screen a day
    corrections_per_minute: int = PER_CLIENT  # per address, and per session
    corrections_all_per_minute: int = OVERALL  # from everyone together
    monitoring: bool = False  # Gradio's monitoring page (public when on)

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
            workers=max(0, _number(env, "DIGIT_WORKERS", int, cores_worth_a_worker())),
            feedback_max_mb=_number(env, "DIGIT_FEEDBACK_MAX_MB", int, default.feedback_max_mb),
            booth_share=_number(env, "DIGIT_BOOTH_SHARE", int, default.booth_share),
            corrections_per_minute=_number(
                env, "DIGIT_CORRECTIONS_PER_MINUTE", int, default.corrections_per_minute
            ),
            corrections_all_per_minute=_number(
                env, "DIGIT_CORRECTIONS_ALL_PER_MINUTE", int, default.corrections_all_per_minute
            ),
            monitoring=env.get("DIGIT_MONITORING", "").strip() == "1",
        )


def cores_worth_a_worker() -> int:
    """One reading worker per core this process may use; none on one core, where a second
    process only adds the cost of passing each drawing across."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores if cores > 1 else 0


def _number(env: Mapping[str, str], name: str, kind: type, default: float) -> float:
    text = env.get(name) or ""
    if not text.strip():
        return default
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a {'whole ' if kind is int else ''}number") from None
