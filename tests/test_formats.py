"""Formats: file sniffing, safe reading, platform recognition, structure scans."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from instruments.errors import InputError
from validate.ingest import formats
from validate.ingest.formats import (
    cell_name,
    column_letter,
    detect_platform,
    meta_role,
    read_file,
    scan_xlsx_structure,
    sniff_file,
)

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"


def test_column_letters_and_cell_names():
    assert [column_letter(j) for j in (0, 5, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "F",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]
    assert cell_name(16, 5) == "F17"


@pytest.mark.parametrize(
    "name, kind",
    [("template.xlsx", "xlsx"), ("template.csv", "csv"), ("wjx_text_gbk.csv", "csv"), ("wjx_text_html.xls", "html")],
)
def test_sniff_by_content(name, kind):
    assert sniff_file(EXPORTS / name) == kind


def test_html_named_xlsx_is_still_html(tmp_path):
    f = tmp_path / "export.xlsx"
    f.write_text("<table><tr><td>resp_id</td></tr></table>", encoding="utf-8")
    assert sniff_file(f) == "html"


def test_xml_spreadsheet_2003_is_refused_with_advice(tmp_path):
    f = tmp_path / "old.xls"
    f.write_text(
        '<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">', encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"old.xls: is an 'XML Spreadsheet 2003' file.*save it as .xlsx"):
        sniff_file(f)
    g = tmp_path / "other.xml"
    g.write_text('<?xml version="1.0"?><root/>', encoding="utf-8")
    with pytest.raises(InputError, match="other.xml: is an XML file, not a spreadsheet"):
        sniff_file(g)


def test_folder_and_damaged_zip(tmp_path):
    with pytest.raises(InputError, match="is a folder; expected a response file"):
        sniff_file(tmp_path)
    f = tmp_path / "broken.xlsx"
    f.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(InputError, match="broken.xlsx: is a damaged zip/xlsx file"):
        sniff_file(f)


def test_zip_bomb_limits(tmp_path, monkeypatch):
    f = tmp_path / "big.xlsx"
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * 3_000_000)
    monkeypatch.setattr(formats, "MAX_UNCOMPRESSED", 1_000_000)
    with pytest.raises(InputError, match=r"big.xlsx: refused: the workbook unpacks to 3 MB, more than the 1 MB"):
        sniff_file(f)
    monkeypatch.setattr(formats, "MAX_UNCOMPRESSED", 10**9)
    monkeypatch.setattr(formats, "RATIO_FLOOR", 1_000_000)
    with pytest.raises(
        InputError,
        match=r"big.xlsx: refused: the workbook is compressed \d+ times "
        r"\(more than 100x\), which suggests a zip bomb",
    ):
        sniff_file(f)


def test_csv_encodings_and_delimiters(tmp_path):
    rows = "resp_id\t平台\n1\t抖音\n"
    u16 = tmp_path / "u16.csv"
    u16.write_bytes(rows.encode("utf-16"))
    (sheet,) = read_file(u16)
    assert sheet.encoding == "utf-16" and sheet.grid.iat[1, 1] == "抖音"
    semi = tmp_path / "semi.csv"
    semi.write_text("resp_id;DRV1\n1;4\n", encoding="utf-8")
    assert read_file(semi)[0].grid.iat[1, 1] == "4"
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("序号,性别\n1,女\n".encode("gbk"))
    (sheet,) = read_file(gbk)
    assert sheet.encoding == "gb18030" and sheet.grid.iat[1, 1] == "女"
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffresp_id,DRV1\n1,4\n".encode("utf-8"))
    assert read_file(bom)[0].grid.iat[0, 0] == "resp_id"


def test_undecodable_and_malformed_csv(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n\x81\x30\x81\xff,1\n")
    with pytest.raises(InputError, match=r"bad.csv: the text is neither UTF-8 nor GBK/GB18030"):
        read_file(bad)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5,6\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"ragged.csv: is not a well-formed CSV file \(line 3 has 4 fields"):
        read_file(ragged)


def test_blank_rows_keep_their_row_numbers(tmp_path):
    f = tmp_path / "gaps.xlsx"
    wb = Workbook()
    ws = wb.active
    ws["C3"] = "resp_id"
    ws["D5"] = 4
    wb.save(f)
    (sheet,) = read_file(f)
    assert sheet.grid.iat[2, 2] == "resp_id" and sheet.grid.iat[4, 3] == 4.0  # C3 and D5


def test_detect_platform():
    assert detect_platform([["resp_id", "DRV1"]]) == ("template", 0)
    assert detect_platform([["序号", "提交答卷时间", "所用时间"]]) == ("wjx", 0)
    assert detect_platform([["StartDate", "EndDate", "ResponseId"], ["Start Date"]]) == ("qualtrics", 0)
    assert detect_platform([["V1", "V2"], ["ResponseID", "StartDate", "EndDate"]]) == ("qualtrics", 1)
    assert detect_platform([["Timestamp", "Gender"]]) == ("google", 0)
    assert detect_platform([["ID", "Start time", "Completion time", "Email"]]) == ("msforms", 0)
    assert detect_platform([["ID", "开始时间", "完成时间"]]) == ("msforms", 0)
    assert detect_platform([["a", "b"]]) == ("generic", -1)
    assert meta_role("wjx", "所用时间") == "duration"
    assert meta_role("qualtrics", "Q_RecaptchaScore") == "meta"
    assert meta_role("google", "DRV1") is None


def test_scan_finds_formulas_and_merged_cells(tmp_path):
    f = tmp_path / "s.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(["a", "b", "c"])
    ws.append([1, "=A2*2", 3])
    ws.merge_cells("A1:B1")
    wb.save(f)
    found = scan_xlsx_structure(f, ["data"])["data"]
    assert found == {"merged": ["A1:B1"], "formulas": ["B2"], "n_formulas": 1}
    (sheet,) = read_file(f)
    assert sheet.merged == ["A1:B1"]


def test_scan_names_at_most_max_cells(tmp_path):
    f = tmp_path / "many.xlsx"
    wb = Workbook()
    ws = wb.active
    for r in range(1, 16):
        ws.cell(r, 1, f"=ROW()+{r}")
    wb.save(f)
    found = scan_xlsx_structure(f, [ws.title], max_cells=3)[ws.title]
    assert found["n_formulas"] == 15 and found["formulas"] == ["A1", "A2", "A3"]


def test_html_tables_are_parsed():
    (sheet,) = read_file(EXPORTS / "wjx_text_html.xls")
    assert sheet.kind == "html" and sheet.grid.iat[0, 0] == "序号" and sheet.grid.shape[0] == 9


def test_xml_entities_are_not_expanded(tmp_path):
    """An external entity (XXE) in a sheet is refused, never resolved."""
    base = tmp_path / "base.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "main"
    ws.append(["resp_id", "DRV1"])
    ws.append(["x", "y"])
    wb.save(base)
    evil = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                s = data.decode().replace(
                    "<worksheet", '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/hostname">]><worksheet', 1
                )
                data = s.replace("<t>y</t>", "<t>&xxe;</t>").encode()
            dst.writestr(info, data)
    with pytest.raises(InputError) as e:
        read_file(evil)
    assert str(e.value).startswith("evil.xlsx, sheet main: cannot be read")
    hostname = Path("/etc/hostname")
    if hostname.exists() and hostname.read_text().strip():
        assert hostname.read_text().strip() not in str(e.value)


def test_opendocument_spreadsheet_is_read(tmp_path):
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )

    def cell(v):
        if isinstance(v, (int, float)):
            return f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'

    rows = "".join(
        "<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>"
        for r in (["resp_id", "DRV1"], ["a", 3])
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="main">{rows}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    f = tmp_path / "wps.ods"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>',
        )
    assert sniff_file(f) == "ods"
    (sheet,) = read_file(f)
    assert sheet.sheet == "main" and sheet.grid.values.tolist() == [["resp_id", "DRV1"], ["a", 3.0]]


def test_unreadable_workbook_says_how_to_fix(tmp_path):
    f = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("xl/workbook.xml", "not xml at all")
    with pytest.raises(
        InputError,
        match=r"odd.xlsx: cannot be read as an Excel workbook \(.*\); "
        "open it in Excel and save it as .xlsx",
    ):
        read_file(f)


def test_qualtrics_status_and_finished_cells():
    from validate.ingest.formats import qualtrics_finished, qualtrics_status

    assert meta_role("qualtrics", "Status") == "status"
    assert meta_role("qualtrics", "Finished") == "finished"
    assert meta_role("qualtrics", "Progress") == "progress"
    assert meta_role("wjx", "Status") is None
    # numeric-values export codes and choice-text export text
    assert qualtrics_status(1) == ("survey-preview", "Survey Preview")
    assert qualtrics_status("1") == ("survey-preview", "Survey Preview")
    assert qualtrics_status(8.0) == ("spam", "Spam")
    assert qualtrics_status(2) == ("survey-test", "Survey Test")
    assert qualtrics_status(17) == ("survey-preview", "Offline Survey Preview")
    assert qualtrics_status("Survey Preview") == ("survey-preview", "Survey Preview")
    assert qualtrics_status(" spam ") == ("spam", "spam")
    assert qualtrics_status(0) == (None, "IP Address")
    assert qualtrics_status("IP Address") == (None, "IP Address")
    assert qualtrics_status(4) == (None, "Imported")
    assert qualtrics_status("") == (None, "")
    assert qualtrics_status(None) == (None, "")
    assert [qualtrics_finished(v) for v in (True, "True", "TRUE", 1, "1", 1.0)] == [True] * 6
    assert [qualtrics_finished(v) for v in (False, "False", "FALSE", 0, "0", 0.0)] == [False] * 6
    assert qualtrics_finished("") is None and qualtrics_finished("maybe") is None
