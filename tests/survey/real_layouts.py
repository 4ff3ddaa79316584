"""Survey exports in the layouts the real tools write, built byte by byte for the tests.

SIMULATED DATA: every answer, name, address and number below is invented (e-mail under
example.org, UK phone numbers from Ofcom's drama range 07700 900xxx, IPs from TEST-NET-1).

* :func:`forms_xlsx` writes a Microsoft Forms "Open in Excel" workbook with zipfile, as
  Forms does: shared strings, dates as serial numbers with a date style, and a stale
  ``<dimension ref="A1"/>`` in the worksheet whatever its real extent (openpyxl would
  write a correct one, so it cannot be used to reproduce the quirk).
* :func:`limesurvey_full_csv` and :func:`limesurvey_code_csv` follow LimeSurvey 5/6
  "Export responses" CSV (full or code headings, "Convert Y to 1", "Convert N to 0"):
  timings (``Total time``, ``Group time: …``, ``Question time: …``; ``interviewtime``,
  ``groupTime12``, ``Q1Time``), a file-upload question (a JSON list of files and its
  ``filecount``), a question without text (empty heading) and two questions with the
  same text (repeated heading).
* :func:`lss_structure` is the head of a LimeSurvey survey structure file (``.lss``),
  one XML element per line as LimeSurvey writes it.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

NOTE = "Simulated for the earwitness tests; invented answers, not real responses."

FORMS_HEADER = [
    "ID",
    "Start time",
    "Completion time",
    "Email",
    "Name",
    "Last modified time",
    "What is your name?",
    "Which best describes you?",
    "How many years have you been mixing?",
    "Your street address (street, number, postal code, city)",
    "Date of birth",
    "Contact number",
    "Anything else?",
]
FORMS_ROWS = [
    [
        1,
        45292.4375,
        45292.44,
        "anonymous",
        "",
        "",
        "Melissa Ko",
        "Hobbyist",
        3,
        "12 Harbour Road, BS1 4DJ Bristol",
        "1990-04-12",
        "07700 900123",
        NOTE,
    ],
    [
        2,
        45292.5,
        45292.51,
        "anonymous",
        "",
        "",
        "Sam O'Neil",
        "Professional",
        12,
        "Rue de la Paix 3, 75002 Paris",
        "1984-11-02",
        "+33 6 12 34 56 78",
        "write to sam.oneil@example.org",
    ],
    [
        3,
        45293.25,
        45293.26,
        "anonymous",
        "",
        "",
        "Jo Tran",
        "Hobbyist",
        1,
        "Hauptstraße 5, 10115 Berlin",
        "2001-07-30",
        "+261349044276",
        "",
    ],
]


def _col(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def forms_xlsx(path: Path, header: list[str] | None = None, rows: list[list] | None = None) -> Path:
    header = header or FORMS_HEADER
    rows = rows or FORMS_ROWS
    strings: list[str] = []

    def shared(text: str) -> int:
        if text not in strings:
            strings.append(text)
        return strings.index(text)

    lines = []
    for r, values in enumerate([header, *rows], start=1):
        cells = []
        for c, value in enumerate(values):
            ref = f"{_col(c)}{r}"
            if value == "" or value is None:
                continue
            if isinstance(value, float) and r > 1 and c in (1, 2):  # dates: serial + style
                cells.append(f'<c r="{ref}" s="1"><v>{value}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="s"><v>{shared(str(value))}</v></c>')
        lines.append(f'<row r="{r}">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheet = (
        f'<?xml version="1.0" encoding="utf-8"?><worksheet xmlns="{main}" xmlns:r="{rel}">'
        '<dimension ref="A1"/><sheetData>' + "".join(lines) + "</sheetData></worksheet>"
    )
    sst = (
        f'<?xml version="1.0" encoding="utf-8"?><sst xmlns="{main}" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">'
        + "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
        + "</sst>"
    )
    styles = (
        f'<?xml version="1.0" encoding="utf-8"?><styleSheet xmlns="{main}">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="m/d/yy h:mm:ss"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="rels" ContentType='
            '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension='
            '"xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application'
            '/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override '
            'PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/'
            'styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type='
            f'"{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="utf-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": sst,
        "xl/styles.xml": styles,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    return path


def _upload(name: str) -> str:
    return json.dumps(
        [
            {
                "title": "",
                "comment": "",
                "size": "2048.5",
                "name": name,
                "filename": "fu_8k2m3x9qzj4w1ab",
                "ext": "wav",
            }
        ]
    )


LS_TOOLS = ["LANDR", "iZotope Ozone", "eMastered"]
LS_ANSWERS = [  # role, years, tools 0/1 x3, upload file, explain 1, explain 2, unnamed
    ("Hobbyist", "3", ("1", "0", "0"), "melissa-ko-final-mix.wav", "Cheap.", "Quick.", "x"),
    ("Professional", "12", ("1", "1", "0"), "", "Good on demos.", "Too loud.", ""),
    ("Hobbyist", "1", ("0", "0", "0"), "jo_tran_demo.wav", "Curious.", "", "y"),
    ("Semi-professional", "6", ("0", "1", "1"), "", "Saves time.", "Flat sound.", ""),
]


def limesurvey_full_csv(path: Path) -> Path:
    question = "Which AI mastering tools have you used?"
    header = [
        "Response ID",
        "Date submitted",
        "Last page",
        "Start language",
        "Seed",
        "Date started",
        "Date last action",
        "Which best describes you?",
        "How many years have you been mixing?",
        *[f"{question} [{tool}]" for tool in LS_TOOLS],
        "Upload a mix you mastered with it",
        "filecount - Upload a mix you mastered with it",
        "Why?",
        "Why?",
        "",
        "Total time",
        "Group time: About you",
        "Question time: role",
        "Group time: Tools",
    ]
    rows = []
    for number, (role, years, tools, upload, why1, why2, blank) in enumerate(LS_ANSWERS, 1):
        rows.append(
            [
                str(number),
                f"2025-03-0{number} 10:00:00",
                "3",
                "en",
                str(1000 + number),
                f"2025-03-0{number} 09:50:00",
                f"2025-03-0{number} 10:00:00",
                role,
                years,
                *tools,
                _upload(upload) if upload else "",
                "1" if upload else "0",
                why1 if number > 1 else NOTE,
                why2,
                blank,
                "612.4",
                "120.2",
                "8.1",
                "301.5",
            ]
        )
    return _csv(path, header, rows)


def limesurvey_code_csv(path: Path) -> Path:
    header = [
        "id",
        "submitdate",
        "lastpage",
        "startlanguage",
        "seed",
        "startdate",
        "datestamp",
        "role",
        "years",
        "tools[SQ001]",
        "tools[SQ002]",
        "tools[SQ003]",
        "upload",
        "upload_filecount",
        "why1",
        "why2",
        "interviewtime",
        "groupTime12",
        "roleTime",
        "toolsTime",
    ]
    rows = []
    for number, (role, years, tools, upload, why1, why2, _blank) in enumerate(LS_ANSWERS, 1):
        rows.append(
            [
                str(number),
                f"2025-03-0{number} 10:00:00",
                "3",
                "en",
                str(1000 + number),
                f"2025-03-0{number} 09:50:00",
                f"2025-03-0{number} 10:00:00",
                role,
                years,
                *tools,
                _upload(upload) if upload else "",
                "1" if upload else "0",
                why1 if number > 1 else NOTE,
                why2,
                "612.4",
                "120.2",
                "8.1",
                "3.5",
            ]
        )
    return _csv(path, header, rows)


def lss_structure(path: Path, doctype: str = "Survey") -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<document>\n"
        f" <LimeSurveyDocType>{doctype}</LimeSurveyDocType>\n"
        " <DBVersion>366</DBVersion>\n"
        " <languages>\n"
        "  <language>en</language>\n"
        " </languages>\n"
        " <answers>\n"
        "  <fields>\n"
        "   <fieldname>aid</fieldname>\n"
        "   <fieldname>qid</fieldname>\n"
        "   <fieldname>code</fieldname>\n"
        "  </fields>\n"
        "  <rows>\n"
        "   <row>\n"
        "    <aid><![CDATA[1]]></aid>\n"
        "    <qid><![CDATA[12]]></qid>\n"
        "    <code><![CDATA[A1]]></code>\n"
        "   </row>\n"
        "  </rows>\n"
        " </answers>\n"
        "</document>\n",
        encoding="utf-8",
    )
    return path


def qsf_structure(path: Path) -> Path:
    survey = {
        "SurveyEntry": {"SurveyID": "SV_0123456789abcde", "SurveyName": "AI mastering"},
        "SurveyElements": [{"Element": "SQ", "PrimaryAttribute": "QID1"}],
    }
    path.write_text(json.dumps(survey), encoding="utf-8")
    return path


def qualtrics_with_previews(sample: Path, path: Path, *, text_labels: bool) -> Path:
    """The real qualtRics sample with two preview responses and one test response added,
    as Qualtrics marks them: Status 1 / 2 in numeric exports ("Survey Preview" / "Survey
    Test" with choice text) and DistributionChannel preview / test."""
    rows = list(csv.reader(io.StringIO(sample.read_text(encoding="utf-8-sig"), newline="")))
    header, body = rows[:3], rows[3:]
    status, channel, rid = (
        header[0].index("Status"),
        header[0].index("DistributionChannel"),
        header[0].index("ResponseId"),
    )
    added = []
    for number, kind in enumerate(("preview", "preview", "test"), start=1):
        row = list(body[0])
        row[rid] = f"R_simulated{kind}{number}"
        row[status] = (
            {"preview": "Survey Preview", "test": "Survey Test"}[kind]
            if text_labels
            else {"preview": "1", "test": "2"}[kind]
        )
        row[channel] = kind
        added.append(row)
    if text_labels:
        for row in body:
            row[status] = "IP Address"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([*header, *body, *added])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path
