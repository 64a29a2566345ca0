"""The index of runs: an SQLite file beside the run folders in the workdir.

Each run has a folder ``<workdir>/<id>/`` (``inputs/`` the uploaded files,
``out/`` what ``vcc validate`` wrote, ``log.txt`` its progress lines) and one
row in ``<workdir>/runs.sqlite3``. The folder is the truth; the index lists
runs quickly and keeps their options and status.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import secrets
import sqlite3
import threading
from pathlib import Path

__all__ = ["RunStore", "new_run_id", "RUN_ID"]

#: A run id: a UTC timestamp and 6 random hex digits, e.g. ``20261201-114501-a1b2c3``.
RUN_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    options TEXT NOT NULL,
    inputs TEXT NOT NULL,
    model TEXT,
    error TEXT,
    summary TEXT
)
"""


def new_run_id() -> str:
    now = _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


class RunStore:
    """Rows of ``runs.sqlite3``; safe to use from several threads (one connection per call)."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.path = self.workdir / "runs.sqlite3"
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def add(self, run_id: str, options: dict, inputs: list[str], model: str | None) -> None:
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO runs (id, created, status, options, inputs, model) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    _now(),
                    "queued",
                    json.dumps(options, ensure_ascii=False),
                    json.dumps(inputs, ensure_ascii=False),
                    model,
                ),
            )

    def set_status(self, run_id: str, status: str, error: str | None = None, summary: dict | None = None) -> None:
        finished = _now() if status in ("done", "failed") else None
        with self._lock, self._connect() as db:
            db.execute(
                "UPDATE runs SET status = ?, error = ?, finished = ?, summary = ? WHERE id = ?",
                (status, error, finished, json.dumps(summary, ensure_ascii=False) if summary else None, run_id),
            )

    def get(self, run_id: str) -> dict | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _row(row) if row else None

    def list(self) -> list[dict]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs ORDER BY created DESC, id DESC").fetchall()
        return [_row(r) for r in rows]

    def delete(self, run_id: str) -> None:
        with self._lock, self._connect() as db:
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def fail_unfinished(self) -> int:
        """Mark runs a stopped server left queued or running as failed; returns how many."""
        with self._lock, self._connect() as db:
            cur = db.execute(
                "UPDATE runs SET status = 'failed', finished = ?, "
                "error = 'the app stopped before this run finished; start it again' "
                "WHERE status IN ('queued', 'running')",
                (_now(),),
            )
            return cur.rowcount


def _row(row: sqlite3.Row) -> dict:
    d = dict(row)
    d["options"] = json.loads(d["options"])
    d["inputs"] = json.loads(d["inputs"])
    d["summary"] = json.loads(d["summary"]) if d.get("summary") else None
    return d
