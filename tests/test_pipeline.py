"""The main job end to end: vcc validate on a small study, its outputs, and its failure modes."""

import json
from pathlib import Path

import pytest

from instruments.spec import load_spec
from validate.cli import main
from validate.pipeline import AnalysisOptions, run_validate
from validate.power.simulate import simulate_study

FIX = Path(__file__).parent / "fixtures"
SPEC_PATH = FIX / "specs" / "minimal.yaml"


@pytest.fixture(scope="module")
def study_file(tmp_path_factory):
    spec = load_spec(SPEC_PATH)
    study = simulate_study(
        spec, {1: 150, 2: 150, 3: 150}, paths={"DRV -> ACT": 0.5, "ACT -> OUT": 0.4}, missing_rate=0.005, seed=3
    )
    path = tmp_path_factory.mktemp("data") / "responses.xlsx"
    study.data["main"].to_excel(path, sheet_name="main", index=False)
    return path


@pytest.fixture(scope="module")
def run(study_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    rc = main(
        [
            "validate",
            str(study_file),
            "--model",
            str(SPEC_PATH),
            "--bootstrap",
            "200",
            "--seed",
            "4",
            "--workers",
            "1",
            "--group",
            "platform",
            "--direct-effects",
            "--missing",
            "listwise",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    return out


def test_outputs_are_written(run):
    for name in ("report.html", "results.xlsx", "results.docx", "results.json", "mapping.csv"):
        assert (run / name).stat().st_size > 0, name
    assert not list(run.parent.glob(".*staging*")), "the staging folder was left behind"


def test_results_json_has_the_documented_shape(run):
    res = json.loads((run / "results.json").read_text(encoding="utf-8"))
    m = res["mechanisms"]["main"]
    assert isinstance(m["n_used"], int) and m["n_used"] > 400
    # the n each model used: listwise deletion (asked for) leaves out the respondents with an empty item cell
    assert m["missing"] == "listwise" and res["options"]["missing"] == "listwise"
    assert m["measurement"]["n_obs"] == m["measurement"]["n_complete"] < m["n_used"] == m["measurement"]["n_total"]
    assert m["structural"]["n_obs"] == m["measurement"]["n_obs"]
    assert sum(m["multigroup"]["n_obs_by_group"].values()) == m["multigroup"]["n_obs"] == m["structural"]["n_obs"]
    fit = m["measurement"]["fit"]
    for key in (
        "chisq",
        "df",
        "pvalue",
        "cfi",
        "tli",
        "rmsea",
        "rmsea_ci_lower",
        "rmsea_ci_upper",
        "srmr",
        "aic",
        "bic",
    ):
        assert isinstance(fit[key], float), key
    assert set(m["measurement"]["reliability"]["DRV"]) >= {"alpha", "omega", "cr", "ave"}
    assert m["measurement"]["htmt"]["DRV"]["ACT"] > 0
    assert {"construct", "item", "estimate", "se", "std"} <= set(m["measurement"]["loadings"][0])
    s = m["structural"]
    assert {"from", "to", "estimate", "se", "z", "p_value", "std"} <= set(s["paths"][0])
    assert set(s["r2"]) == {"ACT", "OUT"}
    ind = s["indirect"][0]
    assert ind["chain"] == ["DRV", "ACT", "OUT"]
    assert ind["ci_lower"] < ind["estimate"] < ind["ci_upper"]
    inv = m["invariance"]
    assert inv["group"] == "platform"
    assert all(isinstance(inv[k]["chisq"], float) for k in ("configural", "metric", "scalar"))
    assert res["options"]["seed"] == 4 and res["spec"]["sha256"] == load_spec(SPEC_PATH).sha256


def test_same_seed_same_numbers(run, study_file, tmp_path):
    out2 = tmp_path / "again"
    assert (
        main(
            [
                "validate",
                str(study_file),
                "--model",
                str(SPEC_PATH),
                "--bootstrap",
                "200",
                "--seed",
                "4",
                "--workers",
                "2",
                "--group",
                "platform",
                "--direct-effects",
                "--missing",
                "listwise",
                "--out",
                str(out2),
            ]
        )
        == 0
    )
    a = json.loads((run / "results.json").read_text(encoding="utf-8"))
    b = json.loads((out2 / "results.json").read_text(encoding="utf-8"))
    a.pop("created"), b.pop("created")
    a["options"].pop("workers"), b["options"].pop("workers")
    # Every number agrees to 1e-7 relative. Not bit for bit: each refit stops at a gradient tolerance,
    # and BLAS rounding in the last bit (array alignment differs between processes) can move the
    # stopping point by about 1e-11, which the interpolated BCa quantiles magnify to about 1e-9;
    # every printed digit of the report is the same.
    _assert_same(a, b)


def _assert_same(a, b, path="results"):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-7, abs=1e-12), path
    else:
        assert a == b, path


def test_non_empty_output_folder_needs_force(run, study_file, capsys):
    rc = main(["validate", str(study_file), "--model", str(SPEC_PATH), "--bootstrap", "0", "--out", str(run)])
    assert rc == 2
    assert "the output folder exists and is not empty; choose a new folder or pass --force" in capsys.readouterr().err


def test_failure_half_way_leaves_nothing(study_file, tmp_path, monkeypatch):
    import validate.report as report

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "write_report", broken)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        run_validate([study_file], load_spec(SPEC_PATH), AnalysisOptions(bootstrap=0, progress=False), out=out)
    assert list(out.iterdir()) == []
    assert not list(tmp_path.glob(".*staging*"))


def test_bad_options_and_files_exit_2(study_file, tmp_path, capsys):
    assert main(["validate", str(tmp_path / "none.xlsx"), "--model", str(SPEC_PATH), "--out", str(tmp_path / "o")]) == 2
    assert "input file(s) not found" in capsys.readouterr().err
    assert (
        main(
            ["validate", str(study_file), "--model", str(SPEC_PATH), "--bootstrap", "50", "--out", str(tmp_path / "o2")]
        )
        == 2
    )
    assert "--bootstrap 50: too few resamples" in capsys.readouterr().err
    assert (
        main(
            [
                "validate",
                str(study_file),
                "--model",
                str(SPEC_PATH),
                "--group",
                "platfrom",
                "--bootstrap",
                "0",
                "--out",
                str(tmp_path / "o3"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    # the file's real headers, and the closest one with its column letter
    assert (
        "sheet main: --group platfrom: there is no column headed 'platfrom'; the closest header is 'platform' "
        "(column B); expected one of the file's headers: 'resp_id', 'platform'"
    ) in err


def test_inputs_are_never_written(study_file, tmp_path):
    before = study_file.read_bytes()
    assert (
        main(["validate", str(study_file), "--model", str(SPEC_PATH), "--bootstrap", "0", "--out", str(tmp_path / "o")])
        == 0
    )
    assert study_file.read_bytes() == before
