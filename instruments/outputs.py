"""Safe outputs: atomic file writes and workbook cells that can never run as formulas.

Every file the toolkit writes goes through :func:`atomic_write` (or one of its
wrappers), so a run that fails half-way leaves no half-written file under the
final name, and an input file is never opened for writing.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import OutputError

__all__ = [
    "atomic_path",
    "atomic_write",
    "write_text",
    "write_bytes",
    "safe_cell",
    "safe_frame",
    "write_csv",
    "prepare_out_dir",
]

#: A cell whose text starts with one of these may be run as a formula by Excel
#: or LibreOffice (CSV/Excel injection, OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return ``value`` fit for a workbook cell: text that could run as a formula gets a leading apostrophe.

    Numbers stay numbers (a negative number is not text, so it is left alone).
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(df):
    """A copy of ``df`` whose text cells pass through :func:`safe_cell` (numbers untouched)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype) in ("string", "str"):
            out[c] = out[c].map(safe_cell)
    return out


def write_csv(path: str | Path, df) -> Path:
    """Write ``df`` as UTF-8 CSV with a BOM (so Chinese Excel opens it), formula-safe, atomically."""
    return atomic_write(path, lambda p: safe_frame(df).to_csv(p, index=False, encoding="utf-8-sig"))


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, writer: Callable[[Path], Any]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``path`` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding=encoding, newline="\n"))


def write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda p: p.write_bytes(data))


def prepare_out_dir(out: str | Path, force: bool = False, inputs: list[str | Path] = ()) -> Path:
    """Check an output folder before a run writes into it.

    Raises
    ------
    OutputError
        If ``out`` is a file, is an input's folder content, or exists with files in it and ``force`` is false.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is a file; expected a folder for the outputs")
    for src in inputs:
        try:
            if Path(src).resolve() == out.resolve():
                raise OutputError(f"{out}: is an input file; choose another output folder")
        except OSError:
            continue
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputError(
            f"{out}: the output folder exists and is not empty; choose a new folder or pass --force to overwrite"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder ({exc.strerror or exc})") from None
    return out
