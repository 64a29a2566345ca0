"""Runs: a bounded pool of worker threads, each driving one ``vcc validate`` process.

A run is queued in a :class:`~concurrent.futures.ThreadPoolExecutor` with
``jobs`` threads (one by default, so runs do not compete for the cores their
bootstraps use). Its thread starts ``python -m validate.app.worker RUN_DIR``
and reads what the process prints: the stage lines (``[producer] structural
model ...``) and the bootstrap's progress bar (``producer bootstrap: 40%|...|
40/100``) become the run's ``progress``; every line is kept in
``RUN_DIR/log.txt``. A run that fails, or a process that crashes, marks only
that run as failed.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .store import RunStore

__all__ = ["RunManager", "parse_progress", "summarise_results", "unlocate"]

_BAR = re.compile(r"^(?P<label>.*?):\s+(?P<pct>\d+)%\|.*?\|\s*(?P<n>\d+)/(?P<total>\d+)")


def parse_progress(progress: dict, segment: str) -> bool:
    """Fold one printed segment into ``progress``; returns whether it changed.

    ``progress`` has ``stage`` (the latest stage line), ``stages`` (every stage
    line so far) and ``bar`` (``{"label", "done", "total", "percent"}`` of the
    bootstrap's bar, or None).
    """
    text = segment.strip()
    if not text:
        return False
    m = _BAR.match(text)
    if m:
        done, total = int(m["n"]), int(m["total"])
        progress["bar"] = {
            "label": m["label"].strip(),
            "done": done,
            "total": total,
            "percent": round(100 * done / total) if total else 0,
        }
        return True
    if text.endswith("..."):
        stage = text.rstrip(". ").strip()
        progress["stage"] = stage
        progress.setdefault("stages", []).append(stage)
        progress["bar"] = None
        return True
    return False


def summarise_results(results: dict) -> dict:
    """Per mechanism ``n_used``, fit (the scaled test where there is one) and hypotheses supported."""
    out = {}
    for mid, m in (results.get("mechanisms") or {}).items():
        fit = (m.get("structural") or m.get("measurement") or {}).get("fit") or {}
        sfx = "_scaled" if fit.get("chisq_scaled") is not None else ""
        paths = (m.get("structural") or {}).get("paths") or []
        out[mid] = {
            "n_used": m.get("n_used"),
            "cfi": fit.get("cfi" + sfx),
            "rmsea": fit.get("rmsea" + sfx),
            "srmr": fit.get("srmr"),
            "supported": sum(bool(p.get("supported")) for p in paths),
            "hypotheses": len(paths),
        }
    return out


class RunManager:
    """Queue, run, follow and delete runs kept under ``workdir``."""

    def __init__(self, workdir: Path, store: RunStore, jobs: int = 1, server_options: dict | None = None):
        self.workdir = Path(workdir)
        self.store = store
        self.server_options = dict(server_options or {})
        self.pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="vcc-run")
        self._lock = threading.Lock()
        self._progress: dict[str, dict] = {}
        self._procs: dict[str, subprocess.Popen] = {}
        self._cancelled: set[str] = set()

    def run_dir(self, run_id: str) -> Path:
        return self.workdir / run_id

    def submit(self, run_id: str, files: list[Path], argv: list[str], model: Path | None, options: dict) -> None:
        """Index the run and queue it; ``files``/``model`` are already inside the run's ``inputs/``."""
        d = self.run_dir(run_id)
        request = {
            "files": [str(f) for f in files],
            "argv": argv,
            "model": str(model) if model else None,
            "server": self.server_options,
        }
        (d / "request.json").write_text(json.dumps(request, ensure_ascii=False, indent=1), encoding="utf-8")
        self.store.add(run_id, options, [f.name for f in files], model.name if model else None)
        with self._lock:
            self._progress[run_id] = {"stage": None, "stages": [], "bar": None}
        self.pool.submit(self._execute, run_id)

    def progress(self, run_id: str) -> dict | None:
        with self._lock:
            p = self._progress.get(run_id)
            return json.loads(json.dumps(p)) if p is not None else None

    def _execute(self, run_id: str) -> None:
        d = self.run_dir(run_id)
        with self._lock:
            if run_id in self._cancelled:
                return
        self.store.set_status(run_id, "running")
        pkg_root = str(Path(__file__).resolve().parents[2])  # this source tree, also for the child
        env = dict(
            os.environ,
            PYTHONUNBUFFERED="1",
            PYTHONIOENCODING="utf-8",
            PYTHONPATH=os.pathsep.join([pkg_root, *filter(None, [os.environ.get("PYTHONPATH")])]),
        )
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "validate.app.worker", str(d)],
                cwd=d,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        except OSError as exc:
            self.store.set_status(run_id, "failed", error=f"could not start the run: {exc}")
            return
        with self._lock:
            self._procs[run_id] = proc
        self._follow(run_id, proc, d / "log.txt")
        rc = proc.wait()
        with self._lock:
            self._procs.pop(run_id, None)
            if run_id in self._cancelled:
                return
        results = d / "out" / "results.json"
        if rc == 0 and results.is_file():
            summary = summarise_results(json.loads(results.read_text(encoding="utf-8")))
            self.store.set_status(run_id, "done", summary=summary)
        else:
            self.store.set_status(run_id, "failed", error=self._failure(d, rc))

    def _follow(self, run_id: str, proc: subprocess.Popen, log_path: Path) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        with open(log_path, "w", encoding="utf-8") as log:
            while True:
                chunk = proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else proc.stdout.read(4096)
                if not chunk:
                    break
                pending += decoder.decode(chunk)
                *segments, pending = re.split(r"[\r\n]", pending)
                self._segments(run_id, segments, log)
            self._segments(run_id, [pending + decoder.decode(b"", final=True)], log)

    def _segments(self, run_id: str, segments: list[str], log) -> None:
        for seg in segments:
            if not seg.strip():
                continue
            with self._lock:
                p = self._progress.setdefault(run_id, {"stage": None, "stages": [], "bar": None})
                is_bar = parse_progress(p, seg) and p.get("bar") is not None
            if not is_bar:  # the log keeps lines, not every redraw of the bar
                log.write(seg.rstrip() + "\n")
                log.flush()

    @staticmethod
    def _failure(d: Path, rc: int) -> str:
        err = d / "error.json"
        if err.is_file():
            info = json.loads(err.read_text(encoding="utf-8"))
            if info.get("kind") == "internal":
                return (
                    f"internal error: {info['message']} (this is a bug in the toolkit; "
                    f"the run's log.txt has the traceback)"
                )
            return unlocate(info["message"], d)
        tail = ""
        log = d / "log.txt"
        if log.is_file():
            tail = "; last lines: " + " | ".join(log.read_text(encoding="utf-8").splitlines()[-3:])
        return f"the run stopped unexpectedly (exit code {rc}){tail}"

    def delete(self, run_id: str) -> None:
        """Stop the run if it is running, then remove its folder and its row."""
        with self._lock:
            self._cancelled.add(run_id)
            proc = self._procs.get(run_id)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)
        self.store.delete(run_id)
        with self._lock:
            self._progress.pop(run_id, None)

    def shutdown(self) -> None:
        with self._lock:
            procs = list(self._procs.values())
            self._cancelled.update(self._procs)
        for p in procs:
            if p.poll() is None:
                p.terminate()
        self.pool.shutdown(wait=False, cancel_futures=True)


def unlocate(message: str, run_dir: Path) -> str:
    """A message as the user sees it: the run's input folder left out of file paths."""
    for base in (run_dir / "inputs", run_dir / "out", run_dir):
        message = message.replace(str(base) + os.sep, "")
    return message
