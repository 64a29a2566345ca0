"""The command line: thin, friendly, and never a traceback for user errors."""

from pathlib import Path

import pytest

from validate.cli import main

MINIMAL = Path(__file__).parent / "fixtures" / "specs" / "minimal.yaml"


def test_model_show_prints_items_paths_and_syntax(capsys):
    assert main(["model", "show", "--model", str(MINIMAL), "--direct-effects"]) == 0
    out = capsys.readouterr().out
    assert "DRV3     I rarely feel motivated.  [reverse-keyed]" in out
    assert "H1   DRV -> ACT" in out
    assert "OUT ~ ACT + DRV" in out


def test_model_show_in_chinese(capsys):
    assert main(["model", "show", "--model", str(MINIMAL), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "我很少感到有动力。" in out and "反向计分" in out


def test_model_check_ok_and_broken(tmp_path, capsys):
    assert main(["model", "check", str(MINIMAL)]) == 0
    assert "OK: 1 mechanism(s), 9 items" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.read_text(encoding="utf-8").replace('"DRV -> ACT"', '"DRV -> NOPE"'), encoding="utf-8")
    assert main(["model", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vcc: error: ")
    assert "mechanisms.main.paths[0]: 'DRV -> NOPE' names an unknown construct 'NOPE'" in err
    assert "Traceback" not in err


def test_unknown_mechanism_exits_2(capsys):
    assert main(["model", "show", "--model", str(MINIMAL), "--mechanism", "nope"]) == 2
    assert "there is no mechanism 'nope'; expected one of: main" in capsys.readouterr().err


def test_screening_options_are_parsed_and_checked():
    from instruments.errors import InputError
    from validate.cli import _screening_options

    opts = _screening_options(["attention=drop", "speed_ratio=0.4", "reverse=no"])
    assert opts.attention == "drop" and opts.speed_ratio == 0.4 and opts.reverse is False
    with pytest.raises(InputError, match="--screen color=red: expected RULE=VALUE with RULE one of"):
        _screening_options(["color=red"])
    with pytest.raises(InputError, match="--screen outlier_p=abc: 'abc' is not a number"):
        _screening_options(["outlier_p=abc"])
    with pytest.raises(InputError, match="attention: 'sometimes' is not an action; expected one of flag, drop, off"):
        _screening_options(["attention=sometimes"])


def test_ingest_with_screening_option(tmp_path, capsys):
    data = Path(__file__).parent / "fixtures" / "structural" / "minimal_sem.csv"
    rc = main(["ingest", str(data), "--model", str(MINIMAL), "--screen", "outlier=drop", "--out", str(tmp_path / "o")])
    assert rc == 0
    summary = (tmp_path / "o" / "screening_summary_main.csv").read_text(encoding="utf-8-sig")
    assert "outlier,Mahalanobis p < 0.001,drop," in summary


def test_power_command_writes_its_outputs(tmp_path, capsys):
    out = tmp_path / "pw"
    assert (
        main(
            [
                "power",
                "--model",
                str(MINIMAL),
                "--assume-std",
                "0.3",
                "--n",
                "100,200",
                "--replications",
                "20",
                "--workers",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "DRV -> ACT -> OUT" in text and "n=200" in text
    for name in ("power.json", "power.xlsx", "power.html", "power_curve.svg"):
        assert (out / name).stat().st_size > 0


def test_power_runs_every_mechanism_by_default_with_intervals(tmp_path, capsys):
    import json

    import yaml

    raw = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    raw["mechanisms"]["second"] = json.loads(
        json.dumps(raw["mechanisms"]["main"]).replace("DRV", "XDR").replace("ACT", "XAC").replace("OUT", "XOU")
    )
    spec = tmp_path / "two.yaml"
    spec.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "pw"
    # before: "choose one of main, second (--mechanism M)" although the help says "default: all"
    assert (
        main(
            [
                "power",
                "--model",
                str(spec),
                "--n",
                "100,200",
                "--replications",
                "40",
                "--workers",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    for mid in ("main", "second"):
        assert f"mechanism {mid}: power by sample size (40 replications per n" in text
        assert (out / mid / "power.json").stat().st_size > 0
    head = next(line for line in text.splitlines() if "assumed β" in line)
    assert head.split() == ["effect", "assumed", "β", "n=100", "n=200", "n", "for", "power", "0.8"]
    row = next(line for line in text.splitlines() if line.strip().startswith("DRV -> ACT "))
    assert " 0.30 " in row  # the effect it assumed
    # power and its Monte Carlo interval, e.g. "0.57 [0.47, 0.66]"; the n for .80 with its interval
    import re

    cells = re.findall(r"(\d\.\d\d) \[(\d\.\d\d), (\d\.\d\d)\]", row)
    assert len(cells) == 2 and all(
        float(lo) <= float(p) <= float(hi) and float(hi) - float(lo) > 0.1 for p, lo, hi in cells
    )
    assert re.search(r"(\d+|> 200) \[(\d+|> 200), (\d+|> 200)\]\s*$", row)
    assert "assumed: No effect size was stated" in text


def test_power_bad_sample_sizes(tmp_path, capsys):
    assert main(["power", "--model", str(MINIMAL), "--n", "100,abc", "--out", str(tmp_path / "p")]) == 2
    assert "--n 100,abc: 'abc' is not a positive whole number" in capsys.readouterr().err


def test_public_api_exports_what_it_lists():
    from validate import api

    assert all(hasattr(api, name) for name in api.__all__)
    assert "fit_sem" in api.__all__ and "ingest" in api.__all__


def test_keep_unfinished_reaches_ingest(tmp_path, capsys):
    exports = Path(__file__).parent / "fixtures" / "exports"
    data = exports / "qualtrics_numeric.csv"
    rc = main(["ingest", str(data), "--model", str(MINIMAL), "--out", str(tmp_path / "a")])
    assert rc == 0
    assert "unfinished response(s) left out" in capsys.readouterr().err
    rc = main(["ingest", str(data), "--model", str(MINIMAL), "--keep-unfinished", "--out", str(tmp_path / "b")])
    assert rc == 0
    assert "unfinished response(s) kept" in capsys.readouterr().err


def test_csv_outputs_are_formula_safe(tmp_path):
    import pandas as pd

    from instruments.outputs import write_csv

    path = write_csv(tmp_path / "x.csv", pd.DataFrame({"resp_id": ["=1+1", "@SUM(A1)", "ok"], "v": [-2.0, 1.0, 3.0]}))
    text = path.read_text(encoding="utf-8-sig")
    assert "'=1+1" in text and "'@SUM(A1)" in text and "-2.0" in text and "'-2" not in text
