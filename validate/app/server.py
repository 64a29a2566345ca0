"""The web app and its JSON API: :func:`create_app` builds the FastAPI application.

Pages (English and Chinese; the language switch is on every page):
``/model``, ``/data``, ``/run``, ``/runs/{id}`` (results), ``/history``.
The JSON API is under ``/api`` and documented at ``/api/docs`` and in the
README. The page state of a browser (its chosen model and uploaded data) is a
*draft* folder ``<workdir>/drafts/<id>/`` named by the ``vcc_draft`` cookie;
a run copies what it needs into its own folder ``<workdir>/<run id>/``.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import shutil
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import UploadFile as StarletteUpload

from instruments.errors import InputError, VccError
from instruments.spec import STAGES

from . import i18n
from .options import FILE_OPTIONS, check_options, options_to_argv, parse_run_argv, run_options
from .runs import RunManager, unlocate
from .security import CSRF_COOKIE, Guard, csrf_ok, inside, is_relative_url, safe_name, unique_name
from .store import RUN_ID, RunStore, new_run_id

__all__ = ["AppConfig", "create_app", "DATA_SUFFIXES"]

HERE = Path(__file__).parent
#: Response files the app accepts (ingest reads each by its content, these are the names it expects).
DATA_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".tsv")
MODEL_SUFFIXES = (".yaml", ".yml")
MAPPING_SUFFIXES = (".csv", ".yaml", ".yml")
MODEL_MAX_BYTES = 2_000_000
DRAFT_COOKIE = "vcc_draft"
_DRAFT_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass
class AppConfig:
    """How ``vcc app`` was started.

    ``workdir`` keeps the runs; ``token`` is required on every request when
    set; ``loopback_only`` refuses requests whose Host is not the loopback
    address; ``max_upload_mb`` limits one request's body; ``jobs`` is the
    number of runs at a time; ``workers``/``scheduler`` go to every run.
    """

    workdir: Path
    token: str | None = None
    loopback_only: bool = True
    max_upload_mb: float = 50.0
    jobs: int = 1
    workers: int | None = None
    scheduler: str | None = None


class _Upload(Exception):
    """An upload refused before it is stored."""


def create_app(config: AppConfig) -> Guard:
    """The application: pages, API, static files, guarded by :class:`~validate.app.security.Guard`."""
    workdir = Path(config.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "drafts").mkdir(exist_ok=True)
    store = RunStore(workdir)
    store.fail_unfinished()
    manager = RunManager(
        workdir, store, jobs=config.jobs, server_options={"workers": config.workers, "scheduler": config.scheduler}
    )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters["num"] = _num
    env.filters["pval"] = _pval
    env.filters["when"] = _when

    @asynccontextmanager
    async def lifespan(_app):
        yield
        manager.shutdown()

    app = FastAPI(
        title="vcc app API",
        version=_version(),
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        description="Run `vcc validate` on uploaded survey responses and follow the run. "
        "Options take the command line's names.",
    )
    app.state.config = config
    app.state.manager = manager
    app.state.store = store
    app.state.workdir = workdir
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # ------------------------------------------------------------------ helpers

    def lang_of(request: Request) -> str:
        lang = request.cookies.get("vcc_lang", "en")
        return lang if lang in i18n.LANGS else "en"

    def session(request: Request) -> tuple[str, bool]:
        did = request.cookies.get(DRAFT_COOKIE, "")
        if _DRAFT_ID.match(did):
            return did, False
        return secrets.token_hex(8), True

    def draft_dir(did: str) -> Path:
        d = workdir / "drafts" / did
        d.mkdir(parents=True, exist_ok=True)
        return d

    def draft_meta(d: Path) -> dict:
        p = d / "draft.json"
        return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}

    def save_meta(d: Path, meta: dict) -> None:
        (d / "draft.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    def page(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
        lang = lang_of(request)
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        did, new = session(request)
        html = env.get_template(template).render(
            lang=lang,
            t=lambda k: i18n.t(k, lang),
            csrf=csrf,
            path=request.url.path,
            here=str(request.url.path) + (("?" + request.url.query) if request.url.query else ""),
            nav=template.split(".")[0],
            **ctx,
        )
        resp = HTMLResponse(html, status_code=status)
        if not request.cookies.get(CSRF_COOKIE):
            resp.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/")
        if new:
            resp.set_cookie(DRAFT_COOKIE, did, httponly=True, samesite="strict", path="/")
        return resp

    async def form_checked(request: Request):
        form = await request.form(max_files=100, max_fields=5000)
        sent = form.get("csrf") or request.headers.get("x-csrf-token")
        if not csrf_ok(request.cookies.get(CSRF_COOKIE), sent if isinstance(sent, str) else None):
            return None
        return form

    def forbidden() -> Response:
        return Response(
            "the form has expired or came from another site (CSRF check failed); reload the page and try again\n",
            status_code=403,
            media_type="text/plain; charset=utf-8",
        )

    def redirect(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def current_spec(d: Path):
        """(spec or None, error or None, yaml text, display name) of a draft."""
        from instruments.spec import default_spec_path

        from .model import load_named

        meta = draft_meta(d)
        p = d / "model.yaml"
        name = meta.get("model_name", "model.yaml") if p.is_file() else None
        text = (p if p.is_file() else default_spec_path()).read_text(encoding="utf-8-sig")
        try:
            spec = load_named(p if p.is_file() else None, name or "")
            return spec, None, text, name
        except VccError as exc:
            return None, exc, text, name

    async def store_upload(up, dest_dir: Path, suffixes: tuple, taken: set, limit: int | None = None) -> Path:
        name = safe_name(getattr(up, "filename", "") or "")
        if not name.lower().endswith(suffixes):
            raise _Upload(f"{name}: expected a file ending in {', '.join(suffixes)}")
        name = unique_name(name, taken)
        dest = dest_dir / name
        size = 0
        with open(dest, "wb") as fh:
            while chunk := await up.read(1 << 20):
                size += len(chunk)
                if limit and size > limit:
                    raise _Upload(f"{name}: larger than {limit / 1e6:g} MB")
                fh.write(chunk)
        if size == 0:
            raise _Upload(f"{name}: the file is empty (0 bytes)")
        return dest

    def prepare_run(run_id: str, files: list[Path], model: Path | None, mapping: Path | None, options: dict) -> None:
        """Check everything a run needs (options, model, data), as ``vcc validate`` does, then queue it."""
        from validate.ingest.responses import ingest

        from .model import load_named

        d = manager.run_dir(run_id)
        argv = options_to_argv(options)
        if mapping is not None:
            argv.append(f"--mapping={mapping}")
        args = parse_run_argv(
            [str(f) for f in files],
            argv,
            model=str(model) if model else None,
            out=str(d / "out"),
            server=manager.server_options,
        )
        check_options(args)
        spec = load_named(model, model.name if model else "")
        ingest(
            [str(f) for f in files],
            spec,
            fmt=args.fmt,
            mapping=args.mapping,
            mechanism=args.mechanism,
            keep_unfinished=args.keep_unfinished,
        )
        shown = {o.name: getattr(args, o.dest) for o in run_options() if o.name not in FILE_OPTIONS}
        manager.submit(run_id, files, argv, model, shown)

    def new_run_dir() -> tuple[str, Path]:
        run_id = new_run_id()
        d = manager.run_dir(run_id)
        (d / "inputs").mkdir(parents=True)
        return run_id, d

    def run_or_none(run_id: str) -> dict | None:
        if not RUN_ID.match(run_id):
            return None
        return store.get(run_id)

    def run_status(row: dict) -> dict:
        out_dir = manager.run_dir(row["id"]) / "out"
        files = sorted(p.name for p in out_dir.iterdir() if p.is_file()) if out_dir.is_dir() else []
        return {
            "id": row["id"],
            "status": row["status"],
            "created": row["created"],
            "finished": row["finished"],
            "options": row["options"],
            "inputs": row["inputs"],
            "model": row["model"],
            "progress": manager.progress(row["id"]) or {"stage": None, "stages": [], "bar": None},
            "error": row["error"],
            "summary": row["summary"],
            "files": files if row["status"] == "done" else [],
            "status_url": f"/api/runs/{row['id']}",
        }

    def serve_file(run_id: str, name: str, download: bool) -> Response:
        if not RUN_ID.match(run_id) or store.get(run_id) is None:
            return _api_error(404, f"there is no run {run_id!r}")
        p = inside(manager.run_dir(run_id) / "out", name)
        if p is None:
            return _api_error(404, f"run {run_id} has no output file {name!r}")
        return FileResponse(
            p,
            filename=p.name if download or not p.name.endswith(".html") else None,
            content_disposition_type="attachment" if download else "inline",
        )

    # ------------------------------------------------------------------ pages

    @app.get("/", include_in_schema=False)
    def home():
        return redirect("/model")

    @app.get("/lang/{code}", include_in_schema=False)
    def set_lang(code: str, next: str = "/model"):
        resp = redirect(next if is_relative_url(next) else "/model")
        if code in i18n.LANGS:
            resp.set_cookie("vcc_lang", code, samesite="strict", path="/")
        return resp

    @app.get("/model", include_in_schema=False)
    def model_page(request: Request):
        return render_model(request)

    def render_model(request: Request, status: int = 200, text: str | None = None, check: dict | None = None):
        import yaml

        from validate.report.figures import path_diagram_svg

        from .model import form_view

        did, _ = session(request)
        d = draft_dir(did)
        spec, err, saved_text, name = current_spec(d)
        lang = lang_of(request)
        diagrams = []
        if spec is not None:
            for m in spec.mechanisms.values():
                diagrams.append(
                    {
                        "id": m.id,
                        "label": m.label.get(lang) or m.label.get("en", m.id),
                        "svg": path_diagram_svg(m, None, lang, id_prefix=f"pd-{m.id}"),
                        "constructs": list(m.constructs.values()),
                        "paths": list(m.paths) + list(m.direct_paths),
                    }
                )
        try:
            raw = yaml.safe_load(saved_text) if spec is not None else None
        except yaml.YAMLError:
            raw = None
        inst = d / "instruments"
        downloads = sorted(p.name for p in inst.iterdir() if p.is_file()) if inst.is_dir() else []
        return page(
            request,
            "model.html",
            status=status,
            spec=spec,
            error=err,
            name=name,
            yaml_text=text if text is not None else saved_text,
            diagrams=diagrams,
            form=form_view(raw) if isinstance(raw, dict) else [],
            downloads=downloads,
            check=check,
            stages=STAGES,
        )

    @app.post("/model/upload", include_in_schema=False)
    async def model_upload(request: Request):
        form = await form_checked(request)
        if form is None:
            return forbidden()
        did, _ = session(request)
        d = draft_dir(did)
        up = form.get("model")
        if not isinstance(up, StarletteUpload) or not up.filename:
            return render_model(
                request,
                400,
                check={"ok": False, "message": "choose a YAML file to upload", "problems": [], "warnings": []},
            )
        tmp = d / "upload"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            p = await store_upload(up, tmp, MODEL_SUFFIXES, set(), MODEL_MAX_BYTES)
        except _Upload as exc:
            return render_model(request, 400, check={"ok": False, "message": str(exc), "problems": [], "warnings": []})
        from .model import check_spec_text

        text = p.read_bytes().decode("utf-8-sig", errors="replace")
        res = check_spec_text(text, p.name)
        shutil.rmtree(tmp, ignore_errors=True)
        if not res["ok"]:
            return render_model(request, 400, text=text, check=res)
        (d / "model.yaml").write_text(text, encoding="utf-8")
        save_meta(d, {**draft_meta(d), "model_name": p.name})
        shutil.rmtree(d / "instruments", ignore_errors=True)
        return redirect("/model")

    @app.post("/model/bundled", include_in_schema=False)
    async def model_bundled(request: Request):
        if await form_checked(request) is None:
            return forbidden()
        d = draft_dir(session(request)[0])
        (d / "model.yaml").unlink(missing_ok=True)
        shutil.rmtree(d / "instruments", ignore_errors=True)
        return redirect("/model")

    def edited_text(d: Path, form) -> str:
        import yaml

        from .model import apply_form, dump_yaml

        if "yaml" in form:
            return str(form["yaml"])
        _, _, text, _ = current_spec(d)
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError:
            return text  # the saved spec is not YAML: its check says where
        if not isinstance(raw, dict):
            return text
        return dump_yaml(apply_form(raw, {k: v for k, v in form.multi_items() if isinstance(v, str)}))

    @app.post("/model/check", include_in_schema=False)
    async def model_check_fragment(request: Request):
        form = await form_checked(request)
        if form is None:
            return forbidden()
        from .model import check_spec_text

        d = draft_dir(session(request)[0])
        name = draft_meta(d).get("model_name", "model.yaml")
        res = check_spec_text(edited_text(d, form), name)
        lang = lang_of(request)
        return HTMLResponse(env.get_template("_check.html").render(check=res, t=lambda k: i18n.t(k, lang)))

    @app.post("/model/save", include_in_schema=False)
    async def model_save(request: Request):
        form = await form_checked(request)
        if form is None:
            return forbidden()
        from .model import check_spec_text

        d = draft_dir(session(request)[0])
        meta = draft_meta(d)
        name = meta.get("model_name", "model.yaml")
        text = edited_text(d, form)
        res = check_spec_text(text, name)
        if not res["ok"]:
            return render_model(request, 400, text=text, check=res)
        (d / "model.yaml").write_text(text, encoding="utf-8")
        save_meta(d, {**meta, "model_name": name})
        shutil.rmtree(d / "instruments", ignore_errors=True)
        return redirect("/model")

    @app.post("/model/instruments", include_in_schema=False)
    async def model_instruments(request: Request):
        if await form_checked(request) is None:
            return forbidden()
        from .model import write_downloads

        d = draft_dir(session(request)[0])
        spec, err, _, _ = current_spec(d)
        if spec is None:
            return render_model(request, 400)
        shutil.rmtree(d / "instruments", ignore_errors=True)
        await asyncio.to_thread(write_downloads, spec, d / "instruments")
        return redirect("/model#downloads")

    @app.get("/model/files/{name}", include_in_schema=False)
    def model_file(request: Request, name: str):
        d = draft_dir(session(request)[0])
        if name == "model.yaml":
            _, _, text, shown = current_spec(d)
            return Response(
                text.encode("utf-8"),
                media_type="application/x-yaml",
                headers={"content-disposition": f'attachment; filename="{safe_name(shown or "short_video_vcc.yaml")}"'},
            )
        p = inside(d / "instruments", name)
        if p is None:
            return Response("no such file\n", status_code=404, media_type="text/plain")
        return FileResponse(p, filename=p.name)

    # data

    def draft_data(d: Path) -> list[Path]:
        dd = d / "data"
        return sorted(p for p in dd.iterdir() if p.is_file()) if dd.is_dir() else []

    def read_draft(d: Path, spec) -> dict:
        """Ingest and screen a draft's files: mapping, screening summaries, problems (or the error)."""
        from validate.ingest.responses import ingest
        from validate.screening import screen

        files = draft_data(d)
        meta = draft_meta(d)
        mapping = d / "mapping.yaml"
        out: dict = {
            "files": [p.name for p in files],
            "error": None,
            "mapping": [],
            "screening": [],
            "problems": [],
            "n_problems": 0,
            "columns": [],
            "warnings": [],
        }
        if not files or spec is None:
            return out
        try:
            res = ingest(
                [str(f) for f in files],
                spec,
                fmt=meta.get("fmt", "auto"),
                mapping=str(mapping) if mapping.is_file() else None,
            )
        except VccError as exc:
            out["error"] = unlocate(str(exc), d / "data")
            return out
        out["mapping"] = res.mapping.fillna("").astype(str).to_dict(orient="records")
        probs = res.problems.fillna("").astype(str)
        out["n_problems"] = len(probs)
        out["problems"] = probs.head(1000).to_dict(orient="records")
        out["warnings"] = list(res.warnings)
        cols: list[str] = []
        for mid, df in res.data.items():
            sr = screen(df, spec.mechanism(mid), spec)
            out["screening"].append(
                {
                    "mechanism": mid,
                    "n": len(df),
                    "kept": len(sr.data),
                    "rows": sr.summary.astype(object).where(sr.summary.notna(), None).to_dict(orient="records"),
                }
            )
            items = set(spec.mechanism(mid).item_ids)
            cols += [
                c
                for c in df.columns
                if c not in items and c not in ("resp_id", "duration_sec") and c not in cols and not c.startswith("ATT")
            ]
        bg = {q.id for q in spec.background}
        out["columns"] = [c for c in cols if c in bg] + [c for c in cols if c not in bg]
        out["targets"] = sorted({i for m in spec.mechanisms.values() for i in m.item_ids} | bg)
        return out

    @app.get("/data", include_in_schema=False)
    async def data_page(request: Request):
        d = draft_dir(session(request)[0])
        spec, err, _, _ = current_spec(d)
        info = await asyncio.to_thread(read_draft, d, spec)
        return page(
            request,
            "data.html",
            info=info,
            spec_error=err,
            fmt=draft_meta(d).get("fmt", "auto"),
            formats=["auto", "template", "csv", "wjx", "qualtrics", "google", "msforms"],
            has_mapping=(d / "mapping.yaml").is_file(),
        )

    @app.post("/data/upload", include_in_schema=False)
    async def data_upload(request: Request):
        form = await form_checked(request)
        if form is None:
            return forbidden()
        d = draft_dir(session(request)[0])
        ups = [u for u in form.getlist("data") if isinstance(u, StarletteUpload) and u.filename]
        if not ups:
            return redirect("/data")
        tmp = d / "data.new"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        taken: set = set()
        try:
            for up in ups:
                await store_upload(up, tmp, DATA_SUFFIXES, taken)
        except _Upload as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            return page(
                request,
                "data.html",
                status=400,
                info={
                    "files": [],
                    "error": str(exc),
                    "mapping": [],
                    "screening": [],
                    "problems": [],
                    "n_problems": 0,
                    "columns": [],
                    "warnings": [],
                },
                spec_error=None,
                fmt="auto",
                formats=["auto"],
                has_mapping=False,
            )
        shutil.rmtree(d / "data", ignore_errors=True)
        tmp.rename(d / "data")
        (d / "mapping.yaml").unlink(missing_ok=True)
        fmt = str(form.get("fmt") or "auto")
        save_meta(d, {**draft_meta(d), "fmt": fmt if fmt.isalnum() else "auto"})
        return redirect("/data")

    @app.post("/data/clear", include_in_schema=False)
    async def data_clear(request: Request):
        if await form_checked(request) is None:
            return forbidden()
        d = draft_dir(session(request)[0])
        shutil.rmtree(d / "data", ignore_errors=True)
        (d / "mapping.yaml").unlink(missing_ok=True)
        return redirect("/data")

    @app.post("/data/mapping", include_in_schema=False)
    async def data_mapping(request: Request):
        import yaml

        form = await form_checked(request)
        if form is None:
            return forbidden()
        d = draft_dir(session(request)[0])
        p = d / "mapping.yaml"
        mapping = yaml.safe_load(p.read_text(encoding="utf-8")) if p.is_file() else {}
        for key, header in form.multi_items():
            if not key.startswith("hdr:"):
                continue
            idx = key[4:]
            old, new = str(form.get(f"old:{idx}", "")), str(form.get(f"map:{idx}", "")).strip()
            if new != old:
                mapping[str(header)] = new or "ignore"
        p.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
        return redirect("/data#mapping")

    @app.post("/data/mapping/reset", include_in_schema=False)
    async def data_mapping_reset(request: Request):
        if await form_checked(request) is None:
            return forbidden()
        (draft_dir(session(request)[0]) / "mapping.yaml").unlink(missing_ok=True)
        return redirect("/data#mapping")

    # run

    def run_form_options(spec, info: dict) -> list[dict]:
        out = []
        for o in run_options():
            if o.name in FILE_OPTIONS:
                continue
            entry = {
                "name": o.name,
                "kind": o.kind,
                "default": o.default,
                "help": o.help,
                "choices": list(o.choices) if o.choices else None,
                "type": o.type_name,
            }
            if o.name == "group":
                entry["choices"] = [""] + info.get("columns", [])  # the file's background columns
            elif o.name == "mechanism" and spec is not None:
                entry["choices"] = [""] + list(spec.mechanisms)
            elif o.name == "format":
                entry["default"] = info.get("fmt", o.default)
            out.append(entry)
        return out

    @app.get("/run", include_in_schema=False)
    async def run_page(request: Request):
        d = draft_dir(session(request)[0])
        spec, err, _, name = current_spec(d)
        info = await asyncio.to_thread(read_draft, d, spec)
        info["fmt"] = draft_meta(d).get("fmt", "auto")
        return page(
            request,
            "run.html",
            info=info,
            options=run_form_options(spec, info),
            spec_error=err,
            model_name=name,
            message=None,
        )

    @app.post("/run", include_in_schema=False)
    async def run_start(request: Request):
        form = await form_checked(request)
        if form is None:
            return forbidden()
        d = draft_dir(session(request)[0])
        files = draft_data(d)
        options: dict = {}
        for o in run_options():
            if o.name in FILE_OPTIONS:
                continue
            v = form.get(f"opt:{o.name}")
            if o.kind == "flag":
                options[o.name] = v is not None
            elif o.kind == "list":
                lines = [ln.strip() for ln in str(v or "").splitlines() if ln.strip()]
                if lines:
                    options[o.name] = lines
            elif v is not None and str(v).strip() != "":
                options[o.name] = str(v).strip()
        run_id, rd = new_run_dir()
        try:
            if not files:
                raise InputError("upload response files on the Data page first")
            copied = []
            for f in files:
                shutil.copy2(f, rd / "inputs" / f.name)
                copied.append(rd / "inputs" / f.name)
            model = None
            if (d / "model.yaml").is_file():
                name = safe_name(draft_meta(d).get("model_name", "model.yaml"))
                model = rd / "inputs" / unique_name(name, {f.name for f in copied})
                shutil.copy2(d / "model.yaml", model)
            mapping = None
            if (d / "mapping.yaml").is_file():
                mapping = rd / "inputs" / "mapping.yaml"
                shutil.copy2(d / "mapping.yaml", mapping)
            await asyncio.to_thread(prepare_run, run_id, copied, model, mapping, options)
        except VccError as exc:
            shutil.rmtree(rd, ignore_errors=True)
            spec, err, _, name = current_spec(d)
            info = await asyncio.to_thread(read_draft, d, spec)
            info["fmt"] = draft_meta(d).get("fmt", "auto")
            return page(
                request,
                "run.html",
                status=400,
                info=info,
                options=run_form_options(spec, info),
                spec_error=err,
                model_name=name,
                message=unlocate(str(exc), rd),
            )
        return redirect(f"/runs/{run_id}")

    # results and history

    @app.get("/results", include_in_schema=False)
    def results_latest(request: Request):
        rows = store.list()
        if rows:
            return redirect(f"/runs/{rows[0]['id']}")
        return page(request, "results.html", run=None, results=None, summary=[], nav_results=True)

    @app.get("/runs/{run_id}", include_in_schema=False)
    def results_page(request: Request, run_id: str):
        row = run_or_none(run_id)
        if row is None:
            return page(request, "results.html", status=404, run=None, results=None, summary=[])
        st = run_status(row)
        results, summary = None, []
        if row["status"] == "done":
            rp = manager.run_dir(run_id) / "out" / "results.json"
            results = json.loads(rp.read_text(encoding="utf-8"))
            summary = results_summary(results)
        return page(request, "results.html", run=st, results=results, summary=summary)

    @app.get("/runs/{run_id}/files/{name:path}", include_in_schema=False)
    def results_file(run_id: str, name: str, download: int = 0):
        return serve_file(run_id, name, bool(download))

    @app.post("/runs/{run_id}/delete", include_in_schema=False)
    async def results_delete(request: Request, run_id: str):
        if await form_checked(request) is None:
            return forbidden()
        if run_or_none(run_id) is not None:
            await asyncio.to_thread(manager.delete, run_id)
        return redirect("/history")

    @app.get("/history", include_in_schema=False)
    def history_page(request: Request):
        return page(request, "history.html", runs=store.list(), workdir=str(workdir))

    # ------------------------------------------------------------------ API

    @app.get("/api/health", tags=["api"])
    def api_health():
        """`{"status": "ok", "version": ...}` when the app is up."""
        return {"status": "ok", "version": _version()}

    @app.post(
        "/api/runs",
        tags=["api"],
        status_code=202,
        responses={
            202: {"description": '`{"id": ..., "status_url": ...}`: the run is queued'},
            400: {"description": '`{"error": ...}`: the message `vcc validate` prints for this input'},
            413: {"description": "the upload is larger than the limit"},
        },
    )
    async def api_create_run(request: Request):
        """Start a run of `vcc validate`.

        Multipart form: `data` one or more response files (repeat the field); optional `model` a
        YAML spec (default: the bundled model); optional `mapping` a CSV/YAML column mapping;
        optional `options` a JSON object with the command line's option names, e.g.
        `{"estimator": "MLR", "missing": "fiml", "group": "platform", "bootstrap": 1000,
        "seed": 1, "lang": "zh"}` (see `GET /api/options`).
        """
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            return _api_error(
                400, "send a multipart/form-data body with the fields data (files), model (optional), options (JSON)"
            )
        form = await request.form(max_files=100, max_fields=100)
        ups = [u for u in form.getlist("data") if isinstance(u, StarletteUpload)]
        if not ups:
            return _api_error(400, "data: give at least one response file (.xlsx, .xls or .csv)")
        raw_opts = form.get("options") or "{}"
        if isinstance(raw_opts, StarletteUpload):
            raw_opts = (await raw_opts.read()).decode("utf-8", errors="replace")
        try:
            options = json.loads(raw_opts)
        except json.JSONDecodeError as exc:
            return _api_error(400, f"options: is not valid JSON ({exc.msg} at character {exc.pos})")
        run_id, rd = new_run_dir()
        inp = rd / "inputs"
        try:
            taken: set = set()
            files = [await store_upload(u, inp, DATA_SUFFIXES, taken) for u in ups]
            model = mapping = None
            if isinstance(form.get("model"), StarletteUpload):
                model = await store_upload(form.get("model"), inp, MODEL_SUFFIXES, taken, MODEL_MAX_BYTES)
            if isinstance(form.get("mapping"), StarletteUpload):
                mapping = await store_upload(form.get("mapping"), inp, MAPPING_SUFFIXES, taken, MODEL_MAX_BYTES)
            await asyncio.to_thread(prepare_run, run_id, files, model, mapping, options)
        except (_Upload, VccError) as exc:
            shutil.rmtree(rd, ignore_errors=True)
            problems = getattr(exc, "problems", [])
            return _api_error(400, unlocate(str(exc), rd), problems=[unlocate(p, rd) for p in problems])
        return JSONResponse({"id": run_id, "status_url": f"/api/runs/{run_id}"}, status_code=202)

    @app.get("/api/runs", tags=["api"])
    def api_list_runs():
        """`{"runs": [...]}`: every run in the workdir, newest first, each as `GET /api/runs/{id}` gives it."""
        return {"runs": [run_status(r) for r in store.list()]}

    @app.get("/api/runs/{run_id}", tags=["api"], responses={404: {"description": "no such run"}})
    def api_get_run(run_id: str):
        """`{"id", "status": "queued|running|done|failed", "progress": {"stage", "stages", "bar"}, "error",
        "files", ...}`. `bar` is the bootstrap's `{"label", "done", "total", "percent"}`."""
        row = run_or_none(run_id)
        if row is None:
            return _api_error(404, f"there is no run {run_id!r}")
        return run_status(row)

    @app.get("/api/runs/{run_id}/events", tags=["api"])
    async def api_run_events(request: Request, run_id: str):
        """Server-sent events: `progress` (the status as JSON) whenever it changes, then `end`."""
        if run_or_none(run_id) is None:
            return _api_error(404, f"there is no run {run_id!r}")

        async def stream():
            last, beat = None, time.monotonic()
            while True:
                row = store.get(run_id)
                if row is None:
                    yield 'event: end\ndata: {"status": "deleted"}\n\n'
                    return
                st = run_status(row)
                payload = json.dumps({k: st[k] for k in ("id", "status", "progress", "error")}, ensure_ascii=False)
                if payload != last:
                    yield f"event: progress\ndata: {payload}\n\n"
                    last = payload
                if st["status"] in ("done", "failed"):
                    yield f"event: end\ndata: {payload}\n\n"
                    return
                if time.monotonic() - beat > 15:
                    yield ": keep-alive\n\n"
                    beat = time.monotonic()
                if await request.is_disconnected():
                    return
                await asyncio.sleep(0.3)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"cache-control": "no-cache", "x-accel-buffering": "no"}
        )

    @app.get("/api/runs/{run_id}/files/{name:path}", tags=["api"], responses={404: {"description": "no such file"}})
    def api_run_file(run_id: str, name: str):
        """An output file of a finished run (`report.html`, `results.json`, `results.xlsx`, `results.docx`, ...)."""
        return serve_file(run_id, name, download=True)

    @app.delete("/api/runs/{run_id}", tags=["api"], status_code=204, responses={404: {"description": "no such run"}})
    async def api_delete_run(run_id: str):
        """Stop the run if it is running and delete its folder."""
        if run_or_none(run_id) is None:
            return _api_error(404, f"there is no run {run_id!r}")
        await asyncio.to_thread(manager.delete, run_id)
        return Response(status_code=204)

    @app.post(
        "/api/models/check",
        tags=["api"],
        responses={
            200: {"description": '`{"ok": true, "message": "model.yaml: OK: ...", "warnings": [...]}`'},
            400: {"description": '`{"ok": false, "error": ..., "problems": [...]}`: the messages of `vcc model check`'},
        },
    )
    async def api_check_model(request: Request):
        """Check a model spec as `vcc model check` does: multipart field `model` (a YAML file), or the YAML
        as the request body."""
        from .model import check_spec_text

        ctype = request.headers.get("content-type", "")
        name = "model.yaml"
        if ctype.startswith("multipart/form-data"):
            form = await request.form(max_files=1, max_fields=5)
            up = form.get("model")
            if not isinstance(up, StarletteUpload):
                return _api_error(400, "model: give the spec as a file field 'model'")
            name = safe_name(up.filename or name)
            data = await up.read()
        else:
            data = await request.body()
        if len(data) > MODEL_MAX_BYTES:
            return _api_error(413, f"{name}: larger than {MODEL_MAX_BYTES / 1e6:g} MB")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return _api_error(400, f"{name}: is not UTF-8 text (byte {exc.start}); save the spec as UTF-8")
        res = await asyncio.to_thread(check_spec_text, text, name)
        if res["ok"]:
            return res
        return JSONResponse({"ok": False, "error": res["message"], "problems": res["problems"]}, status_code=400)

    @app.get("/api/options", tags=["api"])
    def api_options():
        """The options a run takes (the options of `vcc validate`), with kind, choices, default and help."""
        return {
            "options": [
                {
                    "name": o.name,
                    "type": o.type_name,
                    "choices": list(o.choices) if o.choices else None,
                    "default": o.default,
                    "help": o.help,
                }
                for o in run_options()
                if o.name not in FILE_OPTIONS
            ]
        }

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request):
        spec = app.openapi()
        ops = []
        for path, methods in spec["paths"].items():
            for method, op in methods.items():
                ops.append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "summary": op.get("summary", ""),
                        "description": op.get("description", ""),
                        "responses": {k: v.get("description", "") for k, v in op.get("responses", {}).items()},
                    }
                )
        return page(request, "api_docs.html", ops=ops, options=[o for o in run_options() if o.name not in FILE_OPTIONS])

    def results_summary(results: dict) -> list[dict]:
        rows = []
        for mid, m in (results.get("mechanisms") or {}).items():
            fit = (m.get("structural") or m.get("measurement") or {}).get("fit") or {}
            sfx = "_scaled" if fit.get("chisq_scaled") is not None else ""
            rows.append(
                {
                    "id": mid,
                    "label": m.get("label") or {},
                    "n_raw": m.get("n_raw"),
                    "n_used": m.get("n_used"),
                    "chisq": fit.get("chisq" + sfx),
                    "df": fit.get("df"),
                    "cfi": fit.get("cfi" + sfx),
                    "tli": fit.get("tli" + sfx),
                    "rmsea": fit.get("rmsea" + sfx),
                    "srmr": fit.get("srmr"),
                    "scaled": bool(sfx),
                    "paths": (m.get("structural") or {}).get("paths") or [],
                }
            )
        return rows

    guarded = Guard(
        app, token=config.token, loopback_only=config.loopback_only, max_upload=int(config.max_upload_mb * 1e6)
    )
    guarded.state = app.state  # the FastAPI app's state (manager, store) for the server and tests
    return guarded


def _api_error(status: int, message: str, problems: list[str] | None = None) -> JSONResponse:
    body = {"error": message}
    if problems:
        body["problems"] = problems
    return JSONResponse(body, status_code=status)


def _num(v, digits: int = 3) -> str:
    if v is None or isinstance(v, bool):
        return "—"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "—"
    if f != f:
        return "—"
    return f"{f:.{digits}f}"


def _when(iso: str | None) -> str:
    """``2026-12-01T11:50:52+00:00`` -> ``2026-12-01 11:50 UTC``."""
    if not iso:
        return "—"
    return iso[:16].replace("T", " ") + (" UTC" if iso.endswith("+00:00") else "")


def _pval(v) -> str:
    if v is None:
        return "—"
    return "< .001" if v < 0.001 else f"{v:.3f}"


def _version() -> str:
    from validate import __version__

    return __version__
