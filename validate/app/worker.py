"""One run of ``vcc validate`` in its own process: ``python -m validate.app.worker RUN_DIR``.

The app starts this process for every run, so a run that fails (or crashes)
never takes the server down. It parses ``RUN_DIR/request.json``'s ``argv``
with the command line's own parser and calls the command line's own
``validate`` command: a run in the app is the same computation as
``vcc validate`` with the same options. Progress goes to standard error (the
stage lines and the bootstrap's bar, as on the command line), which the app
reads. A problem the user can fix is written to ``RUN_DIR/error.json``
(``{"kind": "input", "message": ...}``) and the process exits with 2; an
internal error is written with ``kind`` ``internal`` and exit code 1.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from instruments.errors import VccError
from instruments.outputs import write_text


def _error(run_dir: Path, kind: str, message: str) -> None:
    write_text(run_dir / "error.json", json.dumps({"kind": kind, "message": message}, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m validate.app.worker RUN_DIR", file=sys.stderr)
        return 2
    run_dir = Path(args[0])
    try:
        request = json.loads((run_dir / "request.json").read_text(encoding="utf-8"))
        from validate.app.options import parse_run_argv
        from validate.cli import COMMANDS

        ns = parse_run_argv(
            request["files"],
            request["argv"],
            model=request.get("model"),
            out=str(run_dir / "out"),
            server=request.get("server"),
        )
        return COMMANDS[ns.command](ns)
    except VccError as exc:
        _error(run_dir, "input", str(exc))
        print(f"vcc: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # an internal bug: kept in the run's folder, the server carries on
        _error(run_dir, "internal", f"{type(exc).__name__}: {exc}")
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
