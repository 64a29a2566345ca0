"""Time ``validate.ingest.responses.ingest`` on a 20,000 x 100 workbook (target: under 3 s).

Run from the repository root::

    python bench/ingest.py            # builds the workbook once, in the temp folder
    python bench/ingest.py --rows 5000 --repeat 5

Prints figures; it is not a timed test. The workbook and spec are cached in
``$TMPDIR/vcc-bench-ingest/`` (delete the folder to rebuild them).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from instruments.spec import load_spec  # noqa: E402
from validate.ingest.responses import ingest  # noqa: E402
from validate.screening import screen  # noqa: E402


def make_spec(path: Path, n_items: int) -> None:
    per = 5
    lines = [
        "name: bench",
        "title: {en: Bench, zh: 基准}",
        "scale:",
        "  min: 1",
        "  max: 7",
        "  labels:",
        "    en: [SD, D, SWD, N, SWA, A, SA]",
        "    zh: [非常不同意, 不同意, 有点不同意, 一般, 有点同意, 同意, 非常同意]",
        "background:",
        "  - id: platform",
        "    text: {en: Platform, zh: 平台}",
        "    choices:",
        "      - {code: 1, label: {en: Douyin, zh: 抖音}}",
        "      - {code: 2, label: {en: Kuaishou, zh: 快手}}",
        "mechanisms:",
        "  main:",
        "    label: {en: Main, zh: 主}",
        "    constructs:",
    ]
    for c in range(n_items // per):
        lines += [
            f"      C{c}:",
            f"        label: {{en: Construct {c}, zh: 构念{c}}}",
            "        stage: driver",
            "        items:",
        ]
        for i in range(per):
            k = c * per + i
            lines.append(f"          - {{id: C{c}_{i}, text: {{en: Statement number {k}., zh: 第{k}个陈述。}}}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_workbook(path: Path, spec, n_rows: int, seed: int = 1) -> None:
    from openpyxl import Workbook

    rng = np.random.default_rng(seed)
    items = spec.mechanisms["main"].item_ids
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("main")
    ws.append(["resp_id", "platform", "duration_sec", *items])
    f = rng.normal(size=(n_rows, 1))
    x = np.clip(np.rint(4 + f + rng.normal(size=(n_rows, len(items)))), 1, 7).astype(int)
    plat = rng.integers(1, 3, size=n_rows)
    dur = rng.integers(120, 900, size=n_rows)
    for r in range(n_rows):
        ws.append([r + 1, int(plat[r]), int(dur[r]), *x[r].tolist()])
    wb.save(path)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    folder = Path(tempfile.gettempdir()) / "vcc-bench-ingest"
    folder.mkdir(exist_ok=True)
    spec_path = folder / f"spec_{args.items}.yaml"
    if not spec_path.exists():
        make_spec(spec_path, args.items)
    spec = load_spec(spec_path)
    book = folder / f"responses_{args.rows}x{args.items}.xlsx"
    if not book.exists():
        t = time.perf_counter()
        make_workbook(book, spec, args.rows)
        print(f"built {book} in {time.perf_counter() - t:.1f} s")
    print(f"{book.name}: {book.stat().st_size / 2**20:.1f} MB, {args.rows} rows x {args.items} items")
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        res = ingest(book, spec)
        times.append(time.perf_counter() - t)
    df = res.data["main"]
    print(
        f"ingest: best {min(times):.2f} s, median {np.median(times):.2f} s over {args.repeat} runs "
        f"(target < 3 s); {df.shape[0]} x {df.shape[1]} read, {len(res.problems)} problems"
    )
    t = time.perf_counter()
    sr = screen(df, "main", spec)
    print(f"screen: {time.perf_counter() - t:.2f} s; {len(sr.log)} log rows, {len(sr.dropped)} dropped")


if __name__ == "__main__":
    main()
