"""Read survey exports into plain cell grids, safely, and recognise the platform that made them.

This module knows about files, not about the model spec: it turns a path into
one :class:`RawSheet` per worksheet (a grid of cells whose row ``i`` is
spreadsheet row ``i + 1`` and whose column ``j`` is column letter
``column_letter(j)``), refuses files it cannot read safely, and recognises the
export layout of the toolkit's own template, Wenjuanxing (问卷星), Qualtrics,
Google Forms and Microsoft Forms from the header cells.

Safety
------
* Workbooks from strangers are zip files of XML. Before any parsing the zip
  directory is checked: a total uncompressed size over
  :data:`MAX_UNCOMPRESSED` or a compression ratio over :data:`MAX_RATIO`
  (for archives bigger than :data:`RATIO_FLOOR`) is refused as a possible zip
  bomb.
* Cell values are read with python-calamine (Rust, quick-xml: no DTDs, no
  entity expansion). The few XML parts the toolkit parses itself
  (``xl/workbook.xml`` and its relationships) go through ``defusedxml``;
  openpyxl, used only to write outputs, uses defusedxml automatically when it
  is installed (``openpyxl.xml.DEFUSEDXML``).
* Formula and merged-cell checks scan the raw sheet XML with byte patterns;
  no workbook is ever opened for writing.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from instruments.errors import InputError

__all__ = [
    "FORMATS",
    "PLATFORMS",
    "RawSheet",
    "column_letter",
    "cell_name",
    "sniff_file",
    "read_file",
    "scan_xlsx_structure",
    "detect_platform",
    "meta_role",
    "qualtrics_status",
    "qualtrics_finished",
    "QUALTRICS_STATUS",
    "fold",
    "MAX_UNCOMPRESSED",
    "MAX_RATIO",
]

#: Values accepted by ``fmt``: ``auto`` plus the platforms.
FORMATS = ("auto", "template", "csv", "wjx", "qualtrics", "google", "msforms", "generic")
#: Platforms :func:`detect_platform` can recognise.
PLATFORMS = ("template", "wjx", "qualtrics", "google", "msforms", "generic")

#: Refuse a workbook whose parts add up to more than this many bytes uncompressed.
MAX_UNCOMPRESSED = 500 * 1024 * 1024
#: ... or whose parts compress better than this (zip bomb), once they exceed RATIO_FLOOR bytes.
MAX_RATIO = 100
RATIO_FLOOR = 20 * 1024 * 1024

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass
class RawSheet:
    """One worksheet (or a CSV file) as a grid of cells.

    ``grid`` has object columns; empty cells are ``""`` or NaN. Row ``i`` of the
    grid is spreadsheet row ``i + 1`` and column ``j`` is ``column_letter(j)``,
    so a cell can always be named the way the user sees it.
    """

    path: Path
    sheet: str  # "" for CSV and HTML files
    grid: pd.DataFrame
    kind: str  # xlsx | xls | ods | csv | html
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    merged: list[str] | None = None  # merged ranges ("C3:D3") when the reader knows them

    @property
    def where(self) -> str:
        return f"{self.path.name}, sheet {self.sheet}" if self.sheet else self.path.name


def column_letter(j: int) -> str:
    """Spreadsheet letter of the 0-based column ``j`` (0 -> A, 26 -> AA)."""
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def cell_name(row0: int, col0: int) -> str:
    """``F17``-style name of the 0-based cell (row0, col0)."""
    return f"{column_letter(col0)}{row0 + 1}"


def fold(s) -> str:
    """NFKC, case-folded, whitespace-collapsed text (for comparing labels and headers)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(s))).strip().casefold()


# --------------------------------------------------------------------------- file kind


def sniff_file(path: str | Path) -> str:
    """What a file really is: ``xlsx``, ``xls``, ``ods``, ``csv`` or ``html``.

    The content decides, not the name: an ``.xls`` that is really an HTML table
    (as Wenjuanxing and others send) is ``html``; an ``.xlsx`` that is an
    encrypted OLE container is refused as password-protected.

    Raises
    ------
    InputError
        The file is missing, empty, password-protected, a possible zip bomb,
        or not a spreadsheet.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: the file does not exist")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; expected a response file (.xlsx, .xls or .csv)")
    size = p.stat().st_size
    if size == 0:
        raise InputError(f"{p.name}: the file is empty (0 bytes); expected survey responses")
    with p.open("rb") as fh:
        head = fh.read(2048)
    ext = p.suffix.lower()
    if head.startswith(_OLE):
        if ext in (".xlsx", ".xlsm", ".csv") or _ole_encrypted(p, size):
            raise InputError(
                f"{p.name}: the workbook is password-protected (encrypted); open it in Excel, "
                "remove the password (File > Info > Protect Workbook > Encrypt with Password) and save it again"
            )
        return "xls"
    if head.startswith(_ZIP):
        return _check_zip(p)
    text_head = _text_head(head).lstrip().lower()
    if text_head.startswith(("<html", "<!doctype html", "<table", "<meta", "<head", "<body", "<style")) or (
        "<table" in text_head[:2048] and text_head.startswith("<")
    ):
        return "html"
    if text_head.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in text_head:
            raise InputError(
                f"{p.name}: is an 'XML Spreadsheet 2003' file, which the toolkit does not read; "
                "open it in Excel or WPS and save it as .xlsx (Excel Workbook)"
            )
        if "<html" in text_head or "<table" in text_head:
            return "html"
        raise InputError(f"{p.name}: is an XML file, not a spreadsheet; expected .xlsx, .xls or .csv")
    if head.startswith((b"$FL2", b"$FL3")):
        raise InputError(
            f"{p.name}: is an SPSS data file (.sav), which the toolkit does not read; in SPSS use "
            "File > Export > Excel (or CSV) with 'Save value labels' off, and give that file"
        )
    if head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"7z\xbc\xaf")):
        raise InputError(
            f"{p.name}: is not a spreadsheet (it looks like a {_magic_name(head)} file); expected .xlsx, .xls or .csv"
        )
    if _looks_binary(head):
        raise InputError(f"{p.name}: is not a spreadsheet or a text (CSV) file; expected .xlsx, .xls or .csv")
    return "csv"


def _ole_encrypted(p: Path, size: int) -> bool:
    """An OLE container holding an encrypted OOXML package (an .xlsx saved with a password)."""
    if size > 200 * 1024 * 1024:
        return False
    data = p.read_bytes()
    return "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data


def _magic_name(head: bytes) -> str:
    for magic, name in (
        (b"%PDF", "PDF"),
        (b"\x89PNG", "PNG image"),
        (b"\xff\xd8\xff", "JPEG image"),
        (b"GIF8", "GIF image"),
        (b"Rar!", "RAR archive"),
        (b"7z\xbc\xaf", "7-Zip archive"),
    ):
        if head.startswith(magic):
            return name
    return "binary"


def _looks_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text
    return b"\x00" in head


def _text_head(head: bytes) -> str:
    for enc in ("utf-8-sig", "utf-16", "gb18030", "latin-1"):
        try:
            if enc == "utf-16" and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            return head.decode(enc, errors="ignore")
        except (UnicodeDecodeError, LookupError):
            continue
    return ""


def _check_zip(p: Path) -> str:
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
    except zipfile.BadZipFile:
        raise InputError(f"{p.name}: is a damaged zip/xlsx file; open it in Excel and save it again") from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED:
        raise InputError(
            f"{p.name}: refused: the workbook unpacks to {total / 2**20:.0f} MB, more than the "
            f"{MAX_UNCOMPRESSED / 2**20:.0f} MB the toolkit accepts; split the responses into smaller files"
        )
    if total > RATIO_FLOOR and total / packed > MAX_RATIO:
        raise InputError(
            f"{p.name}: refused: the workbook is compressed {total / packed:.0f} times "
            f"(more than {MAX_RATIO}x), which suggests a zip bomb; re-save it from Excel"
        )
    if "content.xml" in names and "mimetype" in names:
        with zipfile.ZipFile(p) as zf:
            if b"opendocument.spreadsheet" in zf.read("mimetype")[:100]:
                return "ods"
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") for n in names):
        kind = (
            "Word document"
            if "word/document.xml" in names
            else ("PowerPoint file" if "ppt/presentation.xml" in names else "zip archive")
        )
        raise InputError(f"{p.name}: is a {kind}, not an Excel workbook; expected .xlsx, .xls or .csv")
    return "xlsx"


# --------------------------------------------------------------------------- reading


def read_file(path: str | Path) -> list[RawSheet]:
    """Read every worksheet of a response file into :class:`RawSheet` grids.

    Never writes to ``path``. CSV files are decoded as UTF-8 (with or without
    BOM), UTF-16 (Excel "Unicode text"), then GB18030 (a superset of GBK, which
    Chinese Excel uses for "CSV"); the delimiter (``,``, ``;``, tab) is sniffed.
    """
    p = Path(path)
    kind = sniff_file(p)
    if kind in ("xlsx", "xls", "ods"):
        return _read_workbook(p, kind)
    if kind == "html":
        return _read_html(p)
    return [_read_csv(p)]


def _read_workbook(p: Path, kind: str) -> list[RawSheet]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(p))
    except Exception as exc:  # calamine raises its own error types
        msg = str(exc)
        if "password" in msg.lower() or "encrypt" in msg.lower():
            raise InputError(
                f"{p.name}: the workbook is password-protected (encrypted); remove the "
                "password in Excel and save it again"
            ) from None
        raise InputError(
            f"{p.name}: cannot be read as an Excel workbook ({msg}); open it in Excel and save it as .xlsx"
        ) from None
    out = []
    for meta in wb.sheets_metadata:
        if "WorkSheet" not in str(meta.typ):
            continue
        try:
            sheet = wb.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as exc:
            raise InputError(f"{p.name}, sheet {meta.name}: cannot be read ({exc})") from None
        grid = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame(dtype=object)
        merged = None
        try:
            ranges = sheet.merged_cell_ranges
            if ranges is not None:
                merged = [f"{cell_name(a[0], a[1])}:{cell_name(b[0], b[1])}" for a, b in ranges]
        except Exception:  # older python-calamine, or a format without merge information
            merged = None
        out.append(RawSheet(p, meta.name, grid, kind, merged=merged))
    return out


def _decode(p: Path, data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{p.name}: the text is neither UTF-8 nor GBK/GB18030 (undecodable byte at position {exc.start}); "
            "open it in Excel and save it as 'CSV UTF-8' or as .xlsx"
        ) from None


def _read_csv(p: Path) -> RawSheet:
    text, enc = _decode(p, p.read_bytes())
    if not text.strip():
        raise InputError(f"{p.name}: the file has no rows (it is blank); expected survey responses")
    first = text[:20000].split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    delim = max(counts, key=counts.get) if max(counts.values()) else ","
    try:
        grid = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            sep=delim,
            quoting=csv.QUOTE_MINIMAL,
            engine="c",
            on_bad_lines="error",
        )
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        detail = f" (line {m.group(1)} has {m.group(2)} fields, more than the header)" if m else ""
        raise InputError(
            f"{p.name}: is not a well-formed CSV file{detail}; check the quoting or save it again from Excel"
        ) from None
    grid = grid.astype(object)
    return RawSheet(p, "", grid, "csv", encoding=enc)


def _read_html(p: Path) -> list[RawSheet]:
    text, enc = _decode(p, p.read_bytes())
    try:
        import lxml  # noqa: F401
    except ImportError:
        raise InputError(
            f"{p.name}: is an HTML page saved with an .xls name (Wenjuanxing and other sites export this way); "
            "open it in Excel or WPS and save it as .xlsx (Excel Workbook), or install lxml to read it directly"
        ) from None
    try:
        tables = pd.read_html(
            io.StringIO(text), header=None, flavor="lxml", keep_default_na=False, displayed_only=False
        )
    except ValueError:
        raise InputError(
            f"{p.name}: is an HTML page (not a real Excel file) and holds no table; "
            "download the export again, or open it in Excel and save it as .xlsx"
        ) from None
    out = []
    for i, t in enumerate(tables):
        t = t.astype(object)
        t.columns = range(t.shape[1])
        name = "" if len(tables) == 1 else f"table {i + 1}"
        out.append(
            RawSheet(
                p,
                name,
                t.reset_index(drop=True),
                "html",
                encoding=enc,
                notes=["HTML table saved with a spreadsheet name"],
            )
        )
    return out


# --------------------------------------------------------------------------- structure checks


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name inside the zip, parsed with defusedxml."""
    from defusedxml import ElementTree as DET

    try:
        wb = DET.fromstring(zf.read("xl/workbook.xml"))
        rels = DET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL_NS}Relationship")}
    out = {}
    for s in wb.iter(f"{_SHEET_NS}sheet"):
        t = targets.get(s.get(f"{_REL_NS}id"), "")
        t = t.lstrip("/")
        out[s.get("name")] = t if t.startswith("xl/") else f"xl/{t}"
    return out


_ROOT = re.compile(rb"<(\w+:)?worksheet\b")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_CELL_WITH_F = re.compile(
    rb'<(?:\w+:)?c\s[^>]*?r="([A-Z]+\d+)"[^>]*>(?:(?!</(?:\w+:)?c>).){0,200}?<(?:\w+:)?f[\s>/]', re.S
)


def scan_xlsx_structure(
    path: str | Path, sheets: list[str], max_cells: int = 10, merged: bool = True
) -> dict[str, dict]:
    """Find merged cells and formulas in the named sheets of an .xlsx file.

    Scans the raw sheet XML (no workbook object is built), so it costs one
    decompression per sheet.

    Returns
    -------
    dict
        sheet name -> ``{"merged": [ranges...], "formulas": [cells...], "n_formulas": int}``
        (at most ``max_cells`` formula cells are named).
    """
    out: dict[str, dict] = {}
    with zipfile.ZipFile(path) as zf:
        parts = _sheet_parts(zf)
        for name in sheets:
            part = parts.get(name)
            if not part:
                continue
            try:
                xml = zf.read(part)
            except KeyError:
                continue
            ranges = [m.decode() for m in _MERGE.findall(xml)] if merged and b"mergeCell " in xml else []
            formulas: list[str] = []
            n_f = 0
            # One pass with the sheet's own namespace prefix (usually none); the cell-naming
            # regex runs only when a formula tag is present.
            m = _ROOT.search(xml[:4096])
            prefix = (m.group(1) or b"") if m else b""
            if re.search(rb"<" + re.escape(prefix) + rb"f[\s>/]", xml):
                for m in _CELL_WITH_F.finditer(xml):
                    n_f += 1
                    if len(formulas) < max_cells:
                        formulas.append(m.group(1).decode())
            out[name] = {"merged": ranges, "formulas": formulas, "n_formulas": n_f}
    return out


# --------------------------------------------------------------------------- platforms

# fold(header) -> role, per platform. Roles: resp_id, duration, start, end, meta (ignored),
# and for Qualtrics status, progress, finished (used to leave out previews, spam and unfinished responses).
_META: dict[str, dict[str, str]] = {
    "template": {
        "resp_id": "resp_id",
        "duration_sec": "duration",
        "start_time": "start",
        "end_time": "end",
        "submitted": "meta",
        "note": "meta",
        "notes": "meta",
    },
    "wjx": {
        "序号": "resp_id",
        "答卷编号": "resp_id",
        "所用时间": "duration",
        "提交答卷时间": "end",
        "开始答题时间": "start",
        "来源": "meta",
        "来源详情": "meta",
        "来自ip": "meta",
        "总分": "meta",
        "答题序号": "meta",
        "填写者": "meta",
        "用户id": "meta",
        "微信昵称": "meta",
        "自定义字段": "meta",
    },
    "qualtrics": {
        "responseid": "resp_id",
        "response id": "resp_id",
        "_recordid": "resp_id",
        "duration (in seconds)": "duration",
        "startdate": "start",
        "enddate": "end",
        "status": "status",
        "ipaddress": "meta",
        "progress": "progress",
        "finished": "finished",
        "recordeddate": "meta",
        "recipientlastname": "meta",
        "recipientfirstname": "meta",
        "recipientemail": "meta",
        "externalreference": "meta",
        "externaldatareference": "meta",
        "locationlatitude": "meta",
        "locationlongitude": "meta",
        "distributionchannel": "meta",
        "userlanguage": "meta",
        "v1": "resp_id",
    },
    "google": {
        "timestamp": "end",
        "时间戳记": "end",
        "时间戳": "end",
        "email address": "meta",
        "电子邮件地址": "meta",
        "score": "meta",
        "分数": "meta",
    },
    "msforms": {
        "id": "resp_id",
        "start time": "start",
        "completion time": "end",
        "email": "meta",
        "name": "meta",
        "last modified time": "meta",
        "开始时间": "start",
        "完成时间": "end",
        "电子邮件": "meta",
        "名称": "meta",
        "上次修改时间": "meta",
        "total points": "meta",
        "quiz feedback": "meta",
    },
    "generic": {
        "resp_id": "resp_id",
        "duration_sec": "duration",
        "id": "resp_id",
        "respondent_id": "resp_id",
        "respondent": "resp_id",
        "participant_id": "resp_id",
        "编号": "resp_id",
        "受访者编号": "resp_id",
        "问卷编号": "resp_id",
        "duration": "duration",
        "用时": "duration",
        "作答时长": "duration",
    },
}


def meta_role(platform: str, header) -> str | None:
    """Role of a metadata column of ``platform`` or None.

    Roles: ``resp_id``, ``duration``, ``start``, ``end``, ``meta`` (not used),
    and for Qualtrics ``status`` (Response Type), ``progress`` and ``finished``,
    which :func:`validate.ingest.responses.ingest` uses to leave out survey previews,
    spam and unfinished responses.
    """
    key = fold(header)
    role = _META.get(platform, {}).get(key)
    if role is None and platform == "qualtrics" and key.startswith("q_"):
        return "meta"
    return role


#: Qualtrics ``Status`` (Response Type) codes of a numeric-values export and their text.
QUALTRICS_STATUS = {
    0: "IP Address",
    1: "Survey Preview",
    2: "Survey Test",
    4: "Imported",
    8: "Spam",
    9: "Survey Preview Spam",
    12: "Imported Spam",
    16: "Offline",
    17: "Offline Survey Preview",
}


def qualtrics_status(value) -> tuple[str | None, str]:
    """Whether a Qualtrics ``Status`` cell marks a response to leave out.

    Parameters
    ----------
    value
        The cell: text (``Survey Preview``) or the numeric code of a
        numeric-values export (``1``), see :data:`QUALTRICS_STATUS`.

    Returns
    -------
    (kind, text)
        ``kind`` is ``survey-preview`` (also offline previews), ``spam``,
        ``survey-test`` (generated test responses) or None for a response to
        keep (``IP Address``, ``Imported``, ``Offline``, ``Email``, empty or
        unknown values); ``text`` is the status as Qualtrics names it.

    Examples
    --------
    >>> qualtrics_status(1)
    ('survey-preview', 'Survey Preview')
    >>> qualtrics_status("IP Address")
    (None, 'IP Address')
    """
    if not _nonempty(value) or isinstance(value, bool):
        return None, ""
    text = str(value).strip()
    try:
        x = float(text)
    except ValueError:
        pass
    else:
        if x.is_integer() and int(x) in QUALTRICS_STATUS:
            text = QUALTRICS_STATUS[int(x)]
    key = fold(text)
    if "preview" in key:
        return "survey-preview", text
    if "spam" in key:
        return "spam", text
    if key in ("survey test", "test"):
        return "survey-test", text
    return None, text


def qualtrics_finished(value) -> bool | None:
    """A Qualtrics ``Finished`` cell as True/False (``True``, ``1``, ``FALSE``, ``0`` ...); None if unreadable."""
    if isinstance(value, bool):
        return value
    if not _nonempty(value):
        return None
    key = fold(value)
    if key in ("true", "1", "1.0", "yes", "是"):
        return True
    if key in ("false", "0", "0.0", "no", "否"):
        return False
    return None


def detect_platform(rows: list[list]) -> tuple[str, int]:
    """Recognise the export layout from the first rows of a sheet.

    Parameters
    ----------
    rows : list of list
        The first few rows of the grid (cells as read).

    Returns
    -------
    (platform, header_row)
        ``platform`` is one of :data:`PLATFORMS` (``generic`` when nothing is
        recognised, with ``header_row`` -1 meaning "decide by the spec") and
        ``header_row`` the 0-based row holding the column names.
    """
    for r, row in enumerate(rows):
        keys = [fold(c) for c in row if _nonempty(c)]
        ks = set(keys)
        if not ks:
            continue
        if "resp_id" in ks:
            return "template", r
        if "序号" in ks and ks & {"提交答卷时间", "所用时间", "来源", "来自ip"}:
            return "wjx", r
        if "答卷编号" in ks and ks & {"提交答卷时间", "所用时间"}:
            return "wjx", r
        if (
            len(
                ks
                & {
                    "startdate",
                    "enddate",
                    "responseid",
                    "finished",
                    "recordeddate",
                    "progress",
                    "duration (in seconds)",
                }
            )
            >= 2
        ):
            return "qualtrics", r
        if "id" in ks and (ks & {"start time", "开始时间"}) and (ks & {"completion time", "完成时间"}):
            return "msforms", r
        if keys[0] in ("timestamp", "时间戳记", "时间戳"):
            return "google", r
    return "generic", -1


def _nonempty(c) -> bool:
    if c is None:
        return False
    if isinstance(c, float) and c != c:
        return False
    return str(c).strip() != ""
