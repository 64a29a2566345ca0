"""``vcc app``: the JSON API and the pages through the framework's test client.

The browser test (real headless Chromium) is tests/test_app_browser.py.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from instruments.errors import InputError  # noqa: E402
from instruments.spec import default_spec_path  # noqa: E402
from validate.app.options import options_to_argv, parse_run_argv, run_options  # noqa: E402
from validate.app.runs import parse_progress  # noqa: E402
from validate.app.security import inside, safe_name  # noqa: E402
from validate.app.server import AppConfig, create_app  # noqa: E402
from validate.pipeline import example_data_path  # noqa: E402

BASE = "http://127.0.0.1:8000"


@pytest.fixture
def app(tmp_path):
    return create_app(AppConfig(workdir=tmp_path / "runs"))


@pytest.fixture
def client(app):
    with TestClient(app, base_url=BASE) as c:
        yield c


def _csrf(client) -> str:
    client.get("/model")
    return client.cookies.get("vcc_csrf")


def _example_bytes() -> bytes:
    return example_data_path().read_bytes()


def _fake_done_run(app, run_id="20260101-000000-abcdef", files=None) -> Path:
    """A finished run in the index without computing anything (for serving and listing tests)."""
    store = app.state.store
    d = app.state.manager.run_dir(run_id)
    (d / "out").mkdir(parents=True)
    for name, text in (files or {"results.json": '{"mechanisms": {}}', "report.html": "<p>report</p>"}).items():
        (d / "out" / name).write_text(text, encoding="utf-8")
    store.add(run_id, {"bootstrap": 100}, ["x.xlsx"], None)
    store.set_status(run_id, "done", summary={})
    return d


def _wait(client, run_id, timeout=600):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        st = client.get(f"/api/runs/{run_id}").json()
        if st["status"] in ("done", "failed"):
            return st
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


# ----------------------------------------------------------------------------- options


def test_run_options_are_the_command_lines():
    names = {o.name for o in run_options()}
    assert {"estimator", "missing", "group", "bootstrap", "seed", "mechanism", "lang"} <= names
    assert not names & {"out", "force", "model", "workers", "scheduler"}  # set by the app or the server


def test_options_to_argv_and_messages():
    argv = options_to_argv(
        {
            "bootstrap": 100,
            "direct_effects": True,
            "keep-unfinished": False,
            "screen": {"attention": "drop"},
            "group": "-x",
        }
    )
    assert argv == ["--bootstrap=100", "--direct-effects", "--screen=attention=drop", "--group=-x"]
    with pytest.raises(
        InputError,
        match=r"options.bogus: is not an option of vcc validate; expected one of: "
        r"mechanism, estimator",
    ):
        options_to_argv({"bogus": 1})
    with pytest.raises(InputError, match=r"options.workers: is set when the server starts"):
        options_to_argv({"workers": 2})
    with pytest.raises(InputError, match=r"options.direct-effects: 'yes' is not true or false"):
        options_to_argv({"direct-effects": "yes"})
    with pytest.raises(InputError, match=r"options.bootstrap: 100.5 is not a whole number"):
        options_to_argv({"bootstrap": 100.5})
    # a bad value gets the command line's own message
    with pytest.raises(InputError, match=r"argument --estimator: invalid choice: 'XX'"):
        parse_run_argv(["d.xlsx"], options_to_argv({"estimator": "xx"}))
    with pytest.raises(InputError, match=r"argument --bootstrap: invalid int value: 'many'"):
        parse_run_argv(["d.xlsx"], options_to_argv({"bootstrap": "many"}))


def test_parse_progress_reads_stage_lines_and_the_bootstrap_bar():
    p: dict = {}
    assert parse_progress(p, "[producer] structural model ...")
    assert p["stage"] == "[producer] structural model" and p["bar"] is None
    assert parse_progress(p, "producer bootstrap:  40%|████      | 40/100 [00:02<00:02, 20.78resample/s]")
    assert p["bar"] == {"label": "producer bootstrap", "done": 40, "total": 100, "percent": 40}
    assert not parse_progress(p, "   ")
    assert not parse_progress(p, "producer: n = 382, chi2(1036) = 1289.73")


# ----------------------------------------------------------------------------- safety


def test_safe_name():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\boot.ini") == "boot.ini"
    assert safe_name("<script>alert(1)</script>.csv") == "script_.csv"  # "/" ends a path part
    assert safe_name("<b>x<i>.csv") == "b_x_i_.csv"
    assert safe_name("问卷星 导出.xlsx") == "问卷星_导出.xlsx"
    assert safe_name(".hidden") == "hidden"
    assert safe_name("a\x00b.csv") == "ab.csv"
    assert len(safe_name("x" * 500 + ".xlsx")) <= 120 and safe_name("x" * 500 + ".xlsx").endswith(".xlsx")


def test_inside_refuses_every_way_out(tmp_path):
    base = tmp_path / "out"
    base.mkdir()
    (base / "ok.txt").write_text("ok")
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", base / "link.txt")
    assert inside(base, "ok.txt") == (base / "ok.txt").resolve()
    for bad in (
        "../secret.txt",
        "/etc/passwd",
        str(tmp_path / "secret.txt"),
        "..\\secret.txt",
        "link.txt",
        "",
        ".",
        "a/../../secret.txt",
        "ok.txt\x00",
        "C:/x",
        "~/x",
        "missing.txt",
    ):
        assert inside(base, bad) is None, bad


def test_files_outside_the_run_are_never_served(app, client):
    d = _fake_done_run(app)
    (d.parent / "secret.txt").write_text("TOPSECRET")
    rid = d.name
    ok = client.get(f"/api/runs/{rid}/files/report.html")
    assert ok.status_code == 200 and ok.text == "<p>report</p>"
    assert ok.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in ok.headers["content-security-policy"]
    for bad in (
        "../secret.txt",
        "..%2Fsecret.txt",
        "%2e%2e/secret.txt",
        "%2e%2e%2fsecret.txt",
        "..%5Csecret.txt",
        "%2Fetc%2Fpasswd",
        "/etc/passwd",
        "../../runs.sqlite3",
        "..%252Fsecret.txt",
        "report.html%00.txt",
        "../inputs/x.xlsx",
    ):
        for prefix in (f"/api/runs/{rid}/files/", f"/runs/{rid}/files/"):
            r = client.get(prefix + bad)
            assert r.status_code == 404, (prefix, bad, r.status_code)
            assert "TOPSECRET" not in r.text
    for bad_id in ("..", "..%2F..", "%2e%2e", "20260101-000000-abcde"):
        assert client.get(f"/api/runs/{bad_id}").status_code == 404
        assert client.get(f"/api/runs/{bad_id}/files/runs.sqlite3").status_code == 404


def test_host_header_must_be_loopback(app):
    with TestClient(app, base_url="http://evil.example:8000") as c:
        r = c.get("/api/health")
    assert r.status_code == 421 and "127.0.0.1" in r.text


def test_token_is_required_with_host(tmp_path):
    app = create_app(AppConfig(workdir=tmp_path, token="s3cret", loopback_only=False))
    with TestClient(app, base_url="http://192.0.2.1:8000") as c:
        assert c.get("/api/health").status_code == 200  # health is open
        r = c.get("/api/runs")
        assert r.status_code == 401 and "access token" in r.text
        assert c.get("/api/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/runs", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        r = c.get("/history?token=s3cret")
        assert r.status_code == 200 and "vcc_token" in r.headers["set-cookie"]
        assert c.get("/model").status_code == 200  # the cookie now carries the token


def test_cross_site_requests_are_refused(client):
    r = client.post(
        "/api/runs", headers={"Origin": "http://evil.example"}, files=[("data", ("d.xlsx", _example_bytes()))]
    )
    assert r.status_code == 403
    r = client.post("/api/models/check", headers={"Origin": "null"}, content=b"name: x")
    assert r.status_code == 403


def test_forms_need_the_csrf_token(client):
    _csrf(client)
    r = client.post("/data/upload", data={"csrf": "forged"}, files=[("data", ("d.xlsx", _example_bytes()))])
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/model/bundled", data={})
    assert r.status_code == 403


def test_upload_limit(tmp_path):
    app = create_app(AppConfig(workdir=tmp_path, max_upload_mb=0.01))
    with TestClient(app, base_url=BASE) as c:
        r = c.post("/api/runs", files=[("data", ("d.xlsx", b"x" * 20_000))])
    assert r.status_code == 413 and "the limit is 0.01 MB" in r.text


def test_user_strings_are_escaped(client):
    csrf = _csrf(client)
    text = (
        default_spec_path()
        .read_text(encoding="utf-8")
        .replace('{en: "Internal drivers"', '{en: "<img src=x onerror=alert(1)>"', 1)
    )
    assert "<img src=x" in text
    r = client.post("/model/upload", data={"csrf": csrf}, files=[("model", ("<b>evil<b>.yaml", text.encode("utf-8")))])
    assert r.status_code == 200  # after the redirect
    page = client.get("/model").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page
    assert "<b>evil" not in page and "b_evil_b_.yaml" in page


# ----------------------------------------------------------------------------- API


def test_health_and_docs(client):
    assert client.get("/api/health").json()["status"] == "ok"
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    for path in (
        "/api/runs",
        "/api/runs/{run_id}",
        "/api/runs/{run_id}/files/{name}",
        "/api/models/check",
        "/api/health",
    ):
        assert path in docs.text
    assert "cdn" not in docs.text.lower()  # works offline
    spec = client.get("/api/openapi.json").json()
    assert {"post", "get"} <= set(spec["paths"]["/api/runs"])
    assert "delete" in spec["paths"]["/api/runs/{run_id}"]


@pytest.mark.parametrize(
    "files, options, model, expected",
    [
        ([], "{}", None, "data: give at least one response file"),
        ([("d.xlsx", b"PK")], "{not json", None, "options: is not valid JSON"),
        ([("d.xlsx", b"PK")], '{"bogus": 1}', None, "options.bogus: is not an option of vcc validate"),
        ([("d.xlsx", b"PK")], '{"bootstrap": 5}', None, "--bootstrap 5: too few resamples"),
        (
            [("d.xlsx", b"PK")],
            '{"estimator": "WLSMV", "missing": "fiml"}',
            None,
            "--missing fiml cannot be combined with --estimator WLSMV",
        ),
        ([("d.pdf", b"%PDF-1.4")], "{}", None, "d.pdf: expected a file ending in .xlsx"),
        ([("d.xlsx", b"%PDF-1.4 not a sheet")], "{}", None, "d.xlsx: is not a spreadsheet (it looks like a PDF"),
        ([("d.xlsx", b"PK")], "{}", ("m.yaml", b"name: broken\n"), "m.yaml: the model spec has"),
        ([("d.xlsx", b"PK")], "{}", ("m.txt", b"name: x"), "m.txt: expected a file ending in .yaml, .yml"),
    ],
)
def test_bad_runs_get_a_located_400_and_leave_nothing(app, client, files, options, model, expected):
    parts = [("data", f) for f in files]
    if model:
        parts.append(("model", model))
    r = client.post("/api/runs", data={"options": options}, files=parts or [("x", ("x.txt", b""))])
    assert r.status_code == 400, r.text
    assert expected in r.json()["error"]
    assert str(app.state.workdir) not in r.json()["error"]  # the message names the file, not the server's folder
    assert client.get("/api/runs").json() == {"runs": []}
    assert [p.name for p in app.state.workdir.iterdir() if p.name not in ("runs.sqlite3", "drafts")] == []


def test_bad_data_message_matches_the_command_line(client, tmp_path, capsys):
    from validate.cli import main

    bad = tmp_path / "d.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["validate", str(bad), "--out", str(tmp_path / "o")]) == 2
    cli_msg = capsys.readouterr().err.split("vcc: error: ", 1)[1].strip()
    r = client.post("/api/runs", files=[("data", ("d.csv", bad.read_bytes()))])
    assert r.status_code == 400
    assert r.json()["error"] == cli_msg.replace(str(tmp_path) + os.sep, "")


def test_model_check_api_gives_the_command_lines_messages(client, tmp_path, capsys):
    from validate.cli import main

    text = default_spec_path().read_text(encoding="utf-8")
    r = client.post("/api/models/check", content=text.encode("utf-8"))
    assert r.status_code == 200
    p = tmp_path / "model.yaml"
    p.write_text(text, encoding="utf-8")
    assert main(["model", "check", str(p)]) == 0
    assert r.json()["message"] == capsys.readouterr().out.strip().replace(str(p), "model.yaml")

    broken = text.replace("- PID -> PAP", "- PID -> NOPE", 1)
    p.write_text(broken, encoding="utf-8")
    assert main(["model", "check", str(p)]) == 2
    cli_lines = capsys.readouterr().err.strip().removeprefix("vcc: error: ").splitlines()
    r = client.post("/api/models/check", files=[("model", ("model.yaml", broken.encode("utf-8")))])
    assert r.status_code == 400
    body = r.json()
    assert body["ok"] is False and "NOPE" in "\n".join(body["problems"])
    assert [body["error"]] + [f"  - {x}" for x in body["problems"]] == [
        ln.replace(str(p), "model.yaml") for ln in cli_lines
    ]


def test_list_get_events_delete(app, client):
    d = _fake_done_run(app)
    rid = d.name
    runs = client.get("/api/runs").json()["runs"]
    assert [r["id"] for r in runs] == [rid]
    st = client.get(f"/api/runs/{rid}").json()
    assert st["status"] == "done" and st["error"] is None and set(st["files"]) == {"results.json", "report.html"}
    assert set(st) >= {"id", "status", "progress", "error"}
    with client.stream("GET", f"/api/runs/{rid}/events") as ev:
        assert ev.headers["content-type"].startswith("text/event-stream")
        body = "".join(ev.iter_text())
    assert "event: progress" in body and "event: end" in body
    assert client.delete(f"/api/runs/{rid}").status_code == 204
    assert not d.exists()
    assert client.get(f"/api/runs/{rid}").status_code == 404
    assert client.delete(f"/api/runs/{rid}").status_code == 404


def test_an_unfinished_run_is_marked_failed_when_the_app_restarts(tmp_path):
    app = create_app(AppConfig(workdir=tmp_path))
    app.state.store.add("20260101-000000-000000", {}, [], None)
    app2 = create_app(AppConfig(workdir=tmp_path))
    row = app2.state.store.get("20260101-000000-000000")
    assert row["status"] == "failed" and "stopped before this run finished" in row["error"]


# ----------------------------------------------------------------------------- pages


def test_every_page_has_the_language_switch(app, client):
    _fake_done_run(app)
    for path in ("/model", "/data", "/run", "/history", "/runs/20260101-000000-abcdef", "/api/docs"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert 'id="lang-switch"' in r.text, path
    r = client.get("/lang/zh?next=/data")
    assert r.status_code == 200 and "上传回收数据" in r.text
    for path in ("/model", "/data", "/run", "/history", "/runs/20260101-000000-abcdef"):
        r = client.get(path)
        assert r.status_code == 200 and '<html lang="zh-CN">' in r.text and ">English</a>" in r.text, path
    assert client.get("/lang/en?next=//evil.example/x", follow_redirects=False).headers["location"] == "/model"


@pytest.mark.slow  # writes every instrument (Word, Excel) of both mechanisms
def test_model_page_diagram_form_check_and_downloads(client):
    csrf = _csrf(client)
    page = client.get("/model").text
    assert page.count('class="path-diagram"') == 2  # both mechanisms
    assert 'data-construct="PID"' in page and "内部驱动因素" in page
    # the form's check gives load_spec's messages
    r = client.post("/model/check", data={"csrf": csrf, "p|producer|paths": "PID -> NOPE"})
    assert "NOPE" in r.text and "check bad" in r.text
    r = client.post(
        "/model/save",
        data={
            "csrf": csrf,
            "c|producer|PID|label|en": "Inner drive",
            "i|producer|PID|0|text|en": "I create short videos for fun.",
            "i|producer|PID|0|reverse": "on",
        },
    )
    assert r.status_code == 200
    page = client.get("/model").text
    assert "Inner drive" in page
    yaml_text = client.get("/model/files/model.yaml").text
    assert "Inner drive" in yaml_text and "reverse: true" in yaml_text.split("id: PID1")[1].split("id: PID2")[0]
    # an item the form did not touch keeps its wording
    assert "I create short videos because it is fun." in yaml_text.split("id: PID2")[1].split("id: PID3")[0]
    r = client.post("/model/instruments", data={"csrf": csrf})
    assert r.status_code == 200
    for name in (
        "questionnaire_producer_zh.docx",
        "codebook_producer.xlsx",
        "wenjuanxing_producer_zh.txt",
        "qualtrics_consumer_en.txt",
        "xlsform_producer.xlsx",
        "response_template.xlsx",
    ):
        f = client.get(f"/model/files/{name}")
        assert f.status_code == 200 and len(f.content) > 100, name
    assert client.get("/model/files/..%2F..%2Fruns.sqlite3").status_code == 404
    r = client.post("/model/bundled", data={"csrf": csrf})
    assert "Inner drive" not in client.get("/model").text


def test_data_page_mapping_screening_and_invalid_cells(client):
    csrf = _csrf(client)
    r = client.post(
        "/data/upload",
        data={"csrf": csrf, "fmt": "auto"},
        files=[("data", ("example_responses.xlsx", _example_bytes()))],
    )
    assert r.status_code == 200
    page = r.text
    assert re.search(r'id="kept-producer">\d+<', page)
    assert "PID1" in page and 'id="mapping"' in page
    assert "Invalid cells" in page
    run = client.get("/run").text
    assert re.search(r'<option value="platform">platform</option>', run)
    # a bad file: the ingest message, located by the file's name
    r = client.post("/data/upload", data={"csrf": csrf}, files=[("data", ("bad.csv", b"a,b\n1,2\n"))])
    assert 'id="data-error"' in r.text and "bad.csv" in r.text


@pytest.mark.slow
def test_api_run_gives_the_command_lines_results(client, tmp_path):
    """A run through the API computes what ``vcc validate`` computes with the same options and seed."""
    from validate.cli import main

    opts = {"bootstrap": 100, "mechanism": "producer", "seed": 7, "missing": "listwise"}
    r = client.post(
        "/api/runs", data={"options": json.dumps(opts)}, files=[("data", ("example_responses.xlsx", _example_bytes()))]
    )
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    assert r.json()["status_url"] == f"/api/runs/{rid}"
    out = tmp_path / "cli"
    assert (
        main(
            [
                "validate",
                str(example_data_path()),
                "--bootstrap",
                "100",
                "--mechanism",
                "producer",
                "--seed",
                "7",
                "--missing",
                "listwise",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    st = _wait(client, rid)
    assert st["status"] == "done", st["error"]
    assert st["progress"]["bar"]["total"] == 100 and "[producer] structural model" in st["progress"]["stages"]
    assert {"report.html", "results.xlsx", "results.docx", "results.json"} <= set(st["files"])
    api = client.get(f"/api/runs/{rid}/files/results.json").json()
    cli = json.loads((out / "results.json").read_text(encoding="utf-8"))
    for res in (api, cli):
        res.pop("created")
        res.pop("inputs")
    assert api == cli
    xlsx = client.get(f"/api/runs/{rid}/files/results.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "attachment" in xlsx.headers["content-disposition"]
    # the pages show it
    page = client.get(f"/runs/{rid}").text
    cfi = api["mechanisms"]["producer"]["structural"]["fit"]["cfi"]
    assert f'id="cfi-producer">{cfi:.3f}<' in page
    assert "iframe" in page and "sandbox" in page
    assert rid in client.get("/history").text


@pytest.mark.slow
def test_a_failing_run_does_not_take_the_server_down(client):
    r = client.post(
        "/api/runs",
        data={"options": json.dumps({"group": "no_such_column", "bootstrap": 0, "mechanism": "producer"})},
        files=[("data", ("example_responses.xlsx", _example_bytes()))],
    )
    assert r.status_code == 202, r.text
    st = _wait(client, r.json()["id"])
    assert st["status"] == "failed"
    assert "example_responses.xlsx, sheet producer: --group no_such_col" in st["error"]  # the CLI's message
    assert client.get("/api/health").status_code == 200
    page = client.get(f"/runs/{st['id']}").text
    assert 'id="run-error"' in page and "no_such_column" in page


def test_csrf_token_in_every_form(client):
    for path in ("/model", "/data", "/run"):
        page = client.get(path).text
        forms = re.findall(r'<form method="post".*?</form>', page, re.S)
        assert forms, path
        for f in forms:
            assert 'name="csrf"' in f, (path, f[:80])


def test_run_page_without_data_says_so(client):
    csrf = _csrf(client)
    r = client.post("/run", data={"csrf": csrf, "opt:bootstrap": "100"})
    assert r.status_code == 400 and "upload response files on the Data page first" in r.text
    assert client.get("/api/runs").json() == {"runs": []}


def test_vcc_app_subcommand_and_its_checks(capsys):
    from validate.cli import build_parser, main

    args = build_parser().parse_args(["app", "--no-browser", "--port", "8123", "--workdir", "w"])
    assert (args.command, args.port, args.no_browser, args.host, args.max_upload_mb) == ("app", 8123, True, None, 50.0)
    assert main(["app", "--port", "0", "--no-browser"]) == 2
    assert "--port 0: expected a port number between 1 and 65535" in capsys.readouterr().err
    assert main(["app", "--jobs", "0", "--no-browser"]) == 2
    assert "--jobs 0: expected 1 or more" in capsys.readouterr().err


def test_mapping_edits_reach_ingest_and_can_be_undone(client):
    csrf = _csrf(client)
    page = client.post(
        "/data/upload", data={"csrf": csrf}, files=[("data", ("example_responses.xlsx", _example_bytes()))]
    ).text
    rows = re.findall(r'name="hdr:(\d+)" value="([^"]*)"><input type="hidden" name="old:\d+" value="([^"]*)"', page)
    idx, header = next((i, h) for i, h, old in rows if old == "PID1")
    r = client.post("/data/mapping", data={"csrf": csrf, f"hdr:{idx}": header, f"old:{idx}": "PID1", f"map:{idx}": ""})
    assert 'id="data-error"' in r.text
    assert "no column for item PID1 of mechanism producer" in r.text  # ingest's own message
    r = client.post("/data/mapping/reset", data={"csrf": csrf})
    assert 'id="data-error"' not in r.text and 'id="kept-producer"' in r.text


@pytest.mark.slow
def test_one_run_at_a_time_and_delete_stops_a_run(app, client):
    """Runs queue behind each other (one at a time by default); deleting a running run stops its process."""
    ids = []
    for _ in range(2):
        r = client.post(
            "/api/runs",
            data={"options": json.dumps({"bootstrap": 5000, "mechanism": "producer"})},
            files=[("data", ("example_responses.xlsx", _example_bytes()))],
        )
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    t0 = time.monotonic()
    while ids[0] not in app.state.manager._procs:  # its process has started
        assert time.monotonic() - t0 < 60
        time.sleep(0.1)
    assert client.get(f"/api/runs/{ids[0]}").json()["status"] == "running"
    assert client.get(f"/api/runs/{ids[1]}").json()["status"] == "queued"
    proc = app.state.manager._procs[ids[0]]
    for rid in ids:
        assert client.delete(f"/api/runs/{rid}").status_code == 204
        assert not app.state.manager.run_dir(rid).exists()
    assert proc.poll() is not None  # the worker process was stopped
    assert client.get("/api/runs").json() == {"runs": []}


def test_a_crashed_worker_is_reported_with_its_last_lines(app):
    d = app.state.manager.run_dir("20260101-000000-000001")
    d.mkdir(parents=True)
    (d / "log.txt").write_text("reading responses ...\n[producer] measurement model ...\n", encoding="utf-8")
    msg = app.state.manager._failure(d, -9)
    assert msg == (
        "the run stopped unexpectedly (exit code -9); last lines: reading responses ... | "
        "[producer] measurement model ..."
    )
    (d / "error.json").write_text(json.dumps({"kind": "input", "message": f"{d / 'inputs'}/x.csv: bad"}))
    assert app.state.manager._failure(d, 2) == "x.csv: bad"


def test_bad_screen_setting_gets_the_command_lines_message(client):
    r = client.post(
        "/api/runs",
        data={"options": json.dumps({"screen": ["attention=maybe", "bogus=1"]})},
        files=[("data", ("example_responses.xlsx", _example_bytes()))],
    )
    assert r.status_code == 400
    assert r.json()["error"].startswith("--screen bogus=1: expected RULE=VALUE with RULE one of")


def test_form_adds_and_removes_items():
    import yaml

    from validate.app.model import apply_form, check_spec_text, dump_yaml

    raw = yaml.safe_load(default_spec_path().read_text(encoding="utf-8"))
    edited = apply_form(
        raw,
        {
            "x|producer|PID|3": "on",
            "n|producer|PID|id": "PID6",
            "n|producer|PID|text|en": "I lose track of time when I edit.",
            "n|producer|PID|text|zh": "剪辑时我会忘记时间。",
            "n|producer|PID|reverse": "on",
        },
    )
    items = edited["mechanisms"]["producer"]["constructs"]["PID"]["items"]
    assert [it["id"] for it in items] == ["PID1", "PID2", "PID3", "PID5", "PID6"]
    assert (
        edited["mechanisms"]["producer"]["constructs"]["PAC"]["items"]
        == raw["mechanisms"]["producer"]["constructs"]["PAC"]["items"]
    )  # untouched
    assert items[-1] == {
        "id": "PID6",
        "text": {"en": "I lose track of time when I edit.", "zh": "剪辑时我会忘记时间。"},
        "reverse": True,
    }
    assert raw["mechanisms"]["producer"]["constructs"]["PID"]["items"][3]["id"] == "PID4"  # the input is kept
    assert check_spec_text(dump_yaml(edited))["ok"]
    dup = apply_form(raw, {"n|producer|PID|id": "PID1", "n|producer|PID|text|en": "x", "n|producer|PID|text|zh": "x"})
    res = check_spec_text(dump_yaml(dup))
    assert not res["ok"] and "PID1" in " ".join(res["problems"] + [res["message"]])
