"""``vcc app``: its options (plain argparse, so ``vcc --help`` needs no web framework) and its start."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from instruments.errors import InputError

__all__ = ["add_app_parser", "run_app"]


def add_app_parser(sub) -> argparse.ArgumentParser:
    """Add ``vcc app`` to the command line's subcommands."""
    p = sub.add_parser("app", help="the local web app (model, data, run, results) and its JSON API")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--host",
        default=None,
        metavar="ADDRESS",
        help="listen on this address instead of 127.0.0.1 only; then every request needs the "
        "access token (printed at start, or --token)",
    )
    p.add_argument("--token", default=None, help="the access token to require (default: a random one with --host)")
    p.add_argument("--workdir", default="vcc-runs", metavar="DIR", help="where runs are kept (default ./vcc-runs)")
    p.add_argument("--no-browser", action="store_true", help="do not open the browser")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="runs at a time (default 1)")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes of each run's bootstrap (default: all cores)",
    )
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run each bootstrap on this Dask cluster")
    p.add_argument("--max-upload-mb", type=float, default=50.0, metavar="MB", help="upload size limit (default 50)")
    return p


def run_app(args) -> int:
    """Start the server; returns when it stops (Ctrl+C)."""
    try:
        import uvicorn

        from .server import AppConfig, create_app
    except ImportError as exc:
        raise InputError(
            f"vcc app needs FastAPI, uvicorn and python-multipart ({exc.name} is missing); "
            "install them with: pip install 'fastapi>=0.110' 'uvicorn>=0.29' 'python-multipart>=0.0.9'"
        ) from None
    from .security import new_token

    if not 0 < args.port < 65536:
        raise InputError(f"--port {args.port}: expected a port number between 1 and 65535")
    if args.jobs < 1:
        raise InputError(f"--jobs {args.jobs}: expected 1 or more")
    if args.max_upload_mb <= 0:
        raise InputError(f"--max-upload-mb {args.max_upload_mb}: expected a positive number")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers {args.workers}: expected 1 or more")
    public = args.host is not None
    host = args.host or "127.0.0.1"
    token = args.token or (new_token() if public else None)
    workdir = Path(args.workdir).resolve()
    app = create_app(
        AppConfig(
            workdir=workdir,
            token=token,
            loopback_only=not public,
            max_upload_mb=args.max_upload_mb,
            jobs=args.jobs,
            workers=args.workers,
            scheduler=args.scheduler,
        )
    )
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown if ':' not in shown else '[' + shown + ']'}:{args.port}/"
    if token:
        url += f"?token={token}"
    print(f"vcc app: open {url}", file=sys.stderr)
    print(f"vcc app: runs are kept in {workdir}; stop with Ctrl+C", file=sys.stderr)
    if public:
        print(f"vcc app: listening on {host}: every request needs the access token {token}", file=sys.stderr)
    if not args.no_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    uvicorn.run(app, host=host, port=args.port, log_level="warning")
    return 0
