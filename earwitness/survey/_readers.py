"""Readers for questionnaire exports: Microsoft Forms, Google Forms, Qualtrics, LimeSurvey.

Each reader turns a file into a :class:`SurveyExport`: the columns (with their role:
respondent id, personal data, metadata or answer) and the cells as text. Its
:meth:`SurveyExport.long` and :meth:`SurveyExport.wide` views hold answers only;
personal columns are classified here so that the importer can leave them behind.

Encodings: UTF-8 with or without a byte-order mark, and UTF-16 with a byte-order mark
(Excel's "Unicode text", Qualtrics TSV) are read as they are. Anything else (a
Windows-1252 "CSV" from Excel, UTF-16 without a BOM) is refused with the row and
column of the first byte that does not decode, unless an encoding is named.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd

from earwitness.errors import BadInputError

__all__ = ["FORMATS", "ExportColumn", "SurveyExport", "detect_format", "read_export"]

FORMATS = ("msforms", "gforms", "qualtrics", "limesurvey")
FORMAT_NAMES = {
    "msforms": "Microsoft Forms",
    "gforms": "Google Forms",
    "qualtrics": "Qualtrics",
    "limesurvey": "LimeSurvey",
}
MULTI_SEPARATORS = {"msforms": ";", "gforms": ", ", "qualtrics": ",", "limesurvey": "\x1f"}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


_PERSONAL = {
    "ipaddress": "IP address",
    "ipaddr": "IP address",
    "ip": "IP address",
    "locationlatitude": "geolocation",
    "locationlongitude": "geolocation",
    "locationaccuracy": "geolocation",
    "latitude": "geolocation",
    "longitude": "geolocation",
    "location": "geolocation",
    "geolocation": "geolocation",
    "recipientlastname": "recipient",
    "recipientfirstname": "recipient",
    "recipientemail": "recipient",
    "recipientphonenumber": "recipient",
    "externalreference": "recipient",
    "externaldatareference": "recipient",
    "token": "recipient",
    "accesscode": "recipient",
    "email": "e-mail",
    "emailaddress": "e-mail",
    "respondentemail": "e-mail",
    "name": "name",
    "firstname": "name",
    "lastname": "name",
    "fullname": "name",
    "respondentname": "name",
    "refurl": "referrer URL",
    "referrerurl": "referrer URL",
}
_META = {
    "startdate",
    "enddate",
    "status",
    "progress",
    "durationinseconds",
    "duration",
    "finished",
    "recordeddate",
    "distributionchannel",
    "userlanguage",
    "responseset",
    "starttime",
    "completiontime",
    "lastmodifiedtime",
    "timestamp",
    "submitdate",
    "lastpage",
    "startlanguage",
    "seed",
    "datestamp",
    "datesubmitted",
    "datestarted",
    "datelastaction",
    "qrecaptchascore",
    "qrelevantidduplicate",
    "qrelevantidduplicatescore",
    "qrelevantidfraudscore",
    "qrelevantidlaststartdate",
}
_RESPONDENT = {"responseid", "recordid", "id"}
# LimeSurvey's system columns under their full-text headings, in the languages real exports
# were seen in (public analysis scripts that read them: "Antwort ID", "Datum Abgeschickt",
# "Zufallsstartwert"; "ID de la réponse", "Tête de série"; "ID de respuesta", "Fecha de
# envío"). Other languages are recognised by position and values (_ls_system_columns).
_LS_SYSTEM_HEADINGS = {
    "respondent": (
        "Response ID",
        "Answer ID",
        "Antwort ID",
        "Antwort-ID",
        "ID de respuesta",
        "ID de la respuesta",
        "ID de la réponse",
        "ID della risposta",
        "ID risposta",
        "Antwoord ID",
        "ID da resposta",
    ),
    "meta": (
        "Date submitted",
        "Datum Abgeschickt",
        "Fecha de envío",
        "Date de soumission",
        "Last page",
        "Letzte Seite",
        "Última página",
        "Dernière page",
        "Start language",
        "Start-Sprache",
        "Idioma inicial",
        "Lenguaje inicial",
        "Langue de départ",
        "Seed",
        "Zufallsstartwert",
        "Zufallsgeneratorstartwert",
        "Semilla",
        "Tête de série",
        "Graine",
        "Date started",
        "Datum gestartet",
        "Fecha de inicio",
        "Date de lancement",
        "Date last action",
        "Datum letzte Aktivität",
        "Fecha de la última acción",
        "Date de la dernière action",
    ),
    "IP address": ("IP address", "IP-Adresse", "Dirección IP", "Adresse IP", "Indirizzo IP"),
    "referrer URL": ("Referrer URL", "Referrer-URL", "URL de referencia", "URL de provenance"),
    "recipient": (
        "Token",
        "Access code",
        "Zugangsschlüssel",
        "Zugangscode",
        "Schlüssel",
        "Clave de acceso",
        "Código de acceso",
        "Code d'accès",
        "Jeton",
    ),
}
for _role, _headings in _LS_SYSTEM_HEADINGS.items():
    for _heading in _headings:
        if _role == "respondent":
            _RESPONDENT.add(_key(_heading))
        elif _role == "meta":
            _META.add(_key(_heading))
        else:
            _PERSONAL.setdefault(_key(_heading), _role)
_LS_IDS = {_key(h) for h in _LS_SYSTEM_HEADINGS["respondent"]}
_LS_META = {_key(h) for h in _LS_SYSTEM_HEADINGS["meta"]} | {"submitdate", "lastpage"}
_GRID_ROW = re.compile(r"^.+?\s*\[(?P<row>[^\[\]]+)\]$")
_TIMESTAMPS = ("timestamp", "marcatemporal", "horodateur", "zeitstempel", "tijdstempel")


@dataclass(frozen=True)
class ExportColumn:
    """One column of an export, as the survey tool named it."""

    code: str
    text: str = ""
    import_id: str = ""
    role: str = "answer"  # respondent, personal, meta or answer
    personal: str = ""  # what personal data the column holds
    separator: str | None = None  # how multi-select answers are joined

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.code, self.text, self.import_id) if n)


@dataclass(frozen=True)
class SurveyExport:
    """An export read into memory: columns, cells as text, and their rows in the file."""

    path: Path
    format: str
    columns: tuple[ExportColumn, ...]
    cells: tuple[tuple[str, ...], ...]
    rows: tuple[int, ...]  # row number in the file of each response (1-based, headers too)
    sha256: str = ""
    excluded: tuple[tuple[str, int], ...] = ()  # rows left out: (why, how many)

    @property
    def n_respondents(self) -> int:
        return len(self.cells)

    def find(self, name: str) -> int | None:
        """Index of the column named ``name`` by code, question text or import id."""
        for by in ("code", "import_id", "text"):
            for index, column in enumerate(self.columns):
                if getattr(column, by) == name:
                    return index
        wanted = _key(name)
        for index, column in enumerate(self.columns):
            if any(_key(n) == wanted for n in column.names):
                return index
        rows = [  # a grid row, `Question [Row]`, named by its row alone
            index
            for index, column in enumerate(self.columns)
            if (match := _GRID_ROW.match(column.code)) and _key(match["row"]) == wanted
        ]
        return rows[0] if len(rows) == 1 else None

    def respondent_ids(self) -> list[str]:
        """The survey tool's response id of each row (kept in memory only)."""
        index = next((i for i, c in enumerate(self.columns) if c.role == "respondent"), None)
        if index is None:
            stamp = next(
                (i for i, c in enumerate(self.columns) if _key(c.code) in _TIMESTAMPS), None
            )
            seen: dict[str, int] = {}
            ids = []
            for number, row in zip(self.rows, self.cells, strict=True):
                base = row[stamp] if stamp is not None and row[stamp] else f"row{number}"
                seen[base] = seen.get(base, 0) + 1
                ids.append(f"{base}#{seen[base]}")
            return ids
        ids = [row[index] for row in self.cells]
        for number, value in zip(self.rows, ids, strict=True):
            if not value:
                raise BadInputError(
                    "the response id is empty",
                    file=self.path,
                    row=number,
                    field=self.columns[index].code,
                )
        return ids

    def answer_columns(self) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c.role == "answer"]

    def wide(self) -> pd.DataFrame:
        """One row per respondent, one column per answer column (empty cells as None)."""
        indices = self.answer_columns()
        frame = pd.DataFrame(
            [[row[i] or None for i in indices] for row in self.cells],
            columns=[self.columns[i].code for i in indices],
            index=pd.Index(self.respondent_ids(), name="respondent"),
        )
        return frame

    def long(self) -> pd.DataFrame:
        """The tidy table: respondent, item, value, label (label: the question text)."""
        ids = self.respondent_ids()
        records = [
            {
                "respondent": respondent,
                "item": self.columns[i].code,
                "value": row[i],
                "label": self.columns[i].text or self.columns[i].code,
            }
            for respondent, row in zip(ids, self.cells, strict=True)
            for i in self.answer_columns()
            if row[i] != ""
        ]
        return pd.DataFrame(records, columns=["respondent", "item", "value", "label"])


# --- decoding -------------------------------------------------------------------------


def decode_text(path: Path, data: bytes, encoding: str | None = None) -> str:
    """The file's text, or one clear line saying why it cannot be read."""
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise BadInputError("the file is empty", file=path)
    if encoding:
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except LookupError:
            raise BadInputError(f"unknown encoding {encoding!r}", file=path) from None
        except UnicodeDecodeError as exc:
            raise _decode_error(path, data, exc, encoding) from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadInputError(f"broken UTF-16 text ({exc.reason})", file=path) from None
    elif b"\x00" in data[:4096]:
        raise BadInputError(
            "the file looks like UTF-16 without a byte-order mark; re-save it as "
            "'CSV UTF-8' or name its encoding with --encoding utf-16-le",
            file=path,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _decode_error(path, data, exc, "utf-8") from None


def _decode_error(path: Path, data: bytes, exc: UnicodeDecodeError, encoding: str) -> BadInputError:
    line_start = data.rfind(b"\n", 0, exc.start) + 1
    row = data.count(b"\n", 0, exc.start) + 1
    prefix = data[line_start : exc.start].decode(encoding, errors="replace")
    column_index = max(len(next(csv.reader([prefix]), [""])) - 1, 0)
    header = next(csv.reader([data.split(b"\n", 1)[0].decode(encoding, errors="replace")]), [])
    field = header[column_index].lstrip("\ufeff") if column_index < len(header) else None
    byte = data[exc.start : exc.start + 1].hex()
    hint = (
        "; it looks like a Windows-1252 (ANSI) export: save it as 'CSV UTF-8' or pass "
        "--encoding cp1252"
        if encoding == "utf-8"
        else ""
    )
    return BadInputError(
        f"not valid {encoding} (byte 0x{byte}){hint}", file=path, row=row, field=field
    )


def _parse_csv(path: Path, text: str) -> list[list[str]]:
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        raise BadInputError(f"malformed CSV: {exc}", file=path, row=len(rows) + 1) from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise BadInputError("the file is empty", file=path)
    return rows


# --- detection ------------------------------------------------------------------------


def detect_format(path: Path, rows: Sequence[Sequence[str]] | None = None) -> str:
    """Which tool wrote the export, from its headers."""
    if rows is None:
        if _is_xlsx(path):
            return "msforms"
        rows = _parse_csv(path, decode_text(path, path.read_bytes()))
    head = [_key(c) for c in rows[0]]
    second = [_key(c) for c in rows[1]] if len(rows) > 1 else []
    third = rows[2] if len(rows) > 2 else []
    if head and head[0] == "v1" and "responseid" in second:
        return "qualtrics"
    if ("id" in head and ("submitdate" in head or "lastpage" in head)) or (
        head and head[0] in _LS_IDS and len(set(head[1:4]) & _LS_META) >= 1
    ):
        return "limesurvey"
    if "responseid" in head or any(c.startswith('{"ImportId"') for c in third):
        return "qualtrics"
    if head and head[0] in _TIMESTAMPS:
        return "gforms"
    if head and head[0] == "id" and {"starttime", "completiontime"} <= set(head):
        return "msforms"
    raise BadInputError(
        "cannot tell which survey tool wrote this export from its headers; name it with "
        f"--format ({'|'.join(FORMATS)})",
        file=path,
        row=1,
    )


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


# --- reading --------------------------------------------------------------------------


def read_export(
    path: str | Path,
    *,
    format: str = "auto",
    encoding: str | None = None,
    keep_previews: bool = False,
) -> SurveyExport:
    """Read a questionnaire export; ``format`` is auto, msforms, gforms, qualtrics or
    limesurvey. Qualtrics preview and test responses are left out (and counted in
    ``excluded``) unless ``keep_previews``."""
    import hashlib

    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInputError("file not found", file=path) from None
    except IsADirectoryError:
        raise BadInputError("is a folder, not an export file", file=path) from None
    if format not in ("auto", *FORMATS):
        raise BadInputError(f"unknown format {format!r}; use auto or {', '.join(FORMATS)}")
    if not data.strip():
        raise BadInputError("the file is empty", file=path)
    _refuse_structure_file(path, data)
    if data.startswith(b"PK\x03\x04"):
        if format not in ("auto", "msforms"):
            raise BadInputError(f"an .xlsx workbook cannot be a {format} export", file=path)
        rows = _read_xlsx(path)
        format = "msforms"
    else:
        rows = _parse_csv(path, decode_text(path, data, encoding))
        if format == "auto":
            format = detect_format(path, rows)
    rows = _trim_trailing_empty_columns(rows)
    reader = {
        "msforms": _msforms,
        "gforms": _gforms,
        "qualtrics": _qualtrics,
        "limesurvey": _limesurvey,
    }[format]
    export = _mark_personal(reader(path, rows))
    if format == "qualtrics" and not keep_previews:
        export = _drop_previews(export)
    return replace(export, sha256=hashlib.sha256(data).hexdigest())


def _trim_trailing_empty_columns(rows: list[list[str]]) -> list[list[str]]:
    """Drop unnamed, empty columns at the right edge (a trailing delimiter on every line)."""
    width = len(rows[0])
    while width and not rows[0][width - 1].strip():
        if any(len(row) >= width and row[width - 1].strip() for row in rows):
            break
        width -= 1
    return [row[:width] if len(row) > width else row for row in rows]


def _read_xlsx(path: Path) -> list[list[str]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise BadInputError(f"not a readable .xlsx workbook ({exc})", file=path) from None
    try:
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            # Microsoft Forms writes <dimension ref="A1"/> whatever the sheet holds, and
            # read-only mode trusts it: read the rows that are really there.
            sheet.reset_dimensions()
        rows = [[_xlsx_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        width = max((len(row) for row in rows), default=0)
        rows = [row + [""] * (width - len(row)) for row in rows]
    finally:
        workbook.close()
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise BadInputError("the workbook's first sheet is empty", file=path)
    return rows


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_headers(path: Path, header: Sequence[str], row: int = 1) -> None:
    seen: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        if not name.strip():
            raise BadInputError(f"column {number} has no header", file=path, row=row)
        if name in seen:
            raise BadInputError(
                f"duplicate header {name!r} in columns {seen[name]} and {number}",
                file=path,
                row=row,
                field=name,
            )
        seen[name] = number


def _body(
    path: Path, rows: Sequence[Sequence[str]], header_rows: int, width: int
) -> tuple[tuple[tuple[str, ...], ...], tuple[int, ...]]:
    if len(rows) <= header_rows:
        raise BadInputError("the export has headers but no responses", file=path)
    cells, numbers = [], []
    for number, row in enumerate(rows[header_rows:], start=header_rows + 1):
        if len(row) > width and any(c.strip() for c in row[width:]):
            raise BadInputError(
                f"{len(row)} cells but {width} headers",
                file=path,
                row=number,
                field=None,
            )
        padded = [c.strip() for c in row[:width]] + [""] * (width - len(row))
        cells.append(tuple(padded))
        numbers.append(number)
    return tuple(cells), tuple(numbers)


def _classify(key: str) -> tuple[str, str]:
    if key in _RESPONDENT:
        return "respondent", ""
    if key in _PERSONAL:
        return "personal", _PERSONAL[key]
    if key in _META:
        return "meta", ""
    return "answer", ""


def _leading(header: Sequence[str]) -> int:
    """How many leading columns are the tool's own (ids, times, contact fields)."""
    known = _META | _RESPONDENT | set(_PERSONAL)
    return next((i for i, h in enumerate(header) if _key(h) not in known), len(header))


def _simple(path: Path, rows: list[list[str]], fmt: str) -> SurveyExport:
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    _check_headers(path, header)
    leading = _leading(header)
    columns = []
    for index, name in enumerate(header):
        key = _key(name)
        if index < leading:
            role, personal = _classify(key)
        elif key in _PERSONAL:  # a question asking for a name or e-mail is personal too
            role, personal = "personal", _PERSONAL[key]
        else:
            role, personal = "answer", ""
        columns.append(ExportColumn(name, name, "", role, personal, MULTI_SEPARATORS[fmt]))
    cells, numbers = _body(path, rows, 1, len(header))
    return SurveyExport(path, fmt, tuple(columns), cells, numbers)


def _msforms(path: Path, rows: list[list[str]]) -> SurveyExport:
    """Microsoft Forms: ``ID, Start time, Completion time, Email, Name`` then questions;
    multi-select answers joined with ``;`` (with a trailing ``;``)."""
    export = _simple(path, rows, "msforms")
    cells = tuple(tuple(c[:-1] if c.endswith(";") else c for c in row) for row in export.cells)
    return replace(export, cells=cells)


def _gforms(path: Path, rows: list[list[str]]) -> SurveyExport:
    """Google Forms: ``Timestamp``, optionally ``Email address``, then questions;
    checkbox answers joined with ``, ``; grid rows as ``Question [Row]`` columns."""
    return _simple(path, rows, "gforms")


def _qualtrics(path: Path, rows: list[list[str]]) -> SurveyExport:
    """Qualtrics: three header rows (ids, question text, ImportId JSON) or legacy V1…."""
    codes = [h.strip().lstrip("\ufeff") for h in rows[0]]
    _check_headers(path, codes)
    legacy = _key(codes[0]) == "v1"
    texts = list(rows[1]) + [""] * (len(codes) - len(rows[1])) if len(rows) > 1 else []
    has_import_ids = len(rows) > 2 and any(c.startswith('{"ImportId"') for c in rows[2])
    import_ids = [_import_id(c) for c in rows[2]] if has_import_ids else [""] * len(codes)
    import_ids += [""] * (len(codes) - len(import_ids))
    if (
        not legacy
        and not has_import_ids
        and texts
        and _key(texts[0]) not in _META
        and not _qualtrics_text_row(codes, texts)
    ):
        header_rows = 1
        texts = list(codes)
    else:
        header_rows = 3 if has_import_ids else 2
    columns = []
    for code, text, import_id in zip(codes, texts or codes, import_ids, strict=False):
        key = _key(import_id) or (_key(text) if legacy and re.fullmatch(r"V\d+", code) else "")
        key = key or _key(code)
        role, personal = _classify(key)
        if role == "answer" and (
            import_id.endswith(("Topics", "Sentiment"))
            or re.search(r" - (Topics|Sentiment\w*)$", code)
        ):
            role = "meta"
        columns.append(
            ExportColumn(
                code, text.strip(), import_id, role, personal, MULTI_SEPARATORS["qualtrics"]
            )
        )
    cells, numbers = _body(path, rows, header_rows, len(codes))
    return SurveyExport(path, "qualtrics", tuple(columns), cells, numbers)


_QUALTRICS_VALUES = {
    "startdate": re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}/\d{1,2}/\d{2,4}|^$"),
    "enddate": re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}/\d{1,2}/\d{2,4}|^$"),
    "recordeddate": re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}/\d{1,2}/\d{2,4}|^$"),
    "responseid": re.compile(r"^R_\w+$"),
    "finished": re.compile(r"^(?:0|1|true|false|wahr|falsch)?$", re.IGNORECASE),
    "progress": re.compile(r"^\d{0,3}$"),
}


def _qualtrics_text_row(codes: Sequence[str], row: Sequence[str]) -> bool:
    """Whether the row under the codes is the question-text row (in any language: "Start
    Date", "Anfangsdatum", "Antwort-ID") rather than a response, though no ImportId row
    follows it: under StartDate, ResponseId, Finished … it holds no value of their shape."""
    checked = [
        (_QUALTRICS_VALUES[_key(code)], cell.strip())
        for code, cell in zip(codes, row, strict=False)
        if _key(code) in _QUALTRICS_VALUES
    ]
    return bool(checked) and not any(shape.match(cell) for shape, cell in checked)


def _import_id(cell: str) -> str:
    try:
        value = json.loads(cell)
    except json.JSONDecodeError:
        return ""
    return str(value.get("ImportId", "")) if isinstance(value, dict) else ""


_LS_CODE = re.compile(r"^(?P<base>[^\[\]]+)\[(?P<sub>[^\[\]]+)\]$")
_LS_FULL = re.compile(r"^(?P<base>.+?)\s*\[(?P<sub>[^\[\]]+)\]$")
# Selected / not selected as LimeSurvey writes them with full answers (the survey's
# language: "Yes"/"No", "Ja"/"Nein", "Sí"/"No", "Oui"/"Non") and "N/A" for no answer.
_LS_SELECTED = {"y", "yes", "1", "ja", "sí", "si", "oui", "sim"}
_LS_UNSELECTED = {"", "n", "no", "not selected", "0", "n/a", "nein", "non", "não", "nao", "k.a."}


def _limesurvey(path: Path, rows: list[list[str]]) -> SurveyExport:
    """LimeSurvey: code headings (``id, submitdate, …, Q1, Q2[SQ001]``) or full headings.

    Full-text headings may be empty (a question without text) or repeated (two questions
    with one text); they are named ``column N`` and ``Text (2)``. Timing columns
    (``interviewtime``, ``groupTime12``, ``Q1Time``; ``Total time``, ``Group time: …``,
    ``Question time: …``) are metadata; file-upload columns (a JSON list of files, and
    their ``[filecount]``) are left out as personal. Multiple-choice questions arrive as
    one column per option holding ``Y``, ``Yes`` or ``1`` (export option "Convert Y to
    1"); they are merged into one column per question.
    """
    if _ls_second_header(rows):
        rows = [rows[0], *rows[2:]]  # both heading styles: codes, then question texts
        export = _ls_system_columns(
            _simple(path, [_unique_headings(rows[0]), *rows[1:]], "limesurvey")
        )
        export = replace(export, rows=tuple(n + 1 for n in export.rows))
    else:
        rows = [_unique_headings(rows[0]), *rows[1:]]
        export = _ls_system_columns(_simple(path, rows, "limesurvey"))
    codes = {_key(c.code.split("[", 1)[0]) for c in export.columns}
    columns = []
    for index, column in enumerate(export.columns):
        values = [row[index] for row in export.cells if row[index]]
        if column.role == "answer" and _ls_timing(column.code, codes):
            column = replace(column, role="meta")
        elif column.role == "answer" and _ls_upload(column.code, values):
            column = replace(column, role="personal", personal="uploaded files")
        columns.append(column)
    return _merge_multi(replace(export, columns=tuple(columns)))


def _ls_second_header(rows: Sequence[Sequence[str]]) -> bool:
    """A second heading row (question codes over question texts, or the reverse): its
    first cells are the system columns' headings, not a response."""
    if len(rows) < 2 or len(rows[1]) < 2:
        return False
    ids = _RESPONDENT | _LS_IDS
    return _key(rows[1][0]) in ids and _key(rows[1][1]) in _LS_META | _META


_LS_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?$|^$")
_LS_SHAPES: tuple[tuple[str, str, re.Pattern[str], bool], ...] = (
    # (column, role or personal kind, every value's shape, always exported)
    ("id", "respondent", re.compile(r"^\d+$"), True),
    ("submitdate", "meta", _LS_DATETIME, True),
    ("lastpage", "meta", re.compile(r"^-?\d{1,4}$|^$"), True),
    ("startlanguage", "meta", re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z]{2,8})*$"), True),
    ("seed", "meta", re.compile(r"^\d{5,12}$"), False),
    ("token", "recipient", re.compile(r"^[A-Za-z0-9_~-]{5,36}$|^$"), False),
    ("startdate", "meta", _LS_DATETIME, False),
    ("datestamp", "meta", _LS_DATETIME, False),
    ("ipaddr", "IP address", re.compile(r"^[0-9a-fA-F.:]{3,45}$|^$"), False),
    ("refurl", "referrer URL", re.compile(r"^https?://\S*$|^$"), False),
)


def _ls_system_columns(export: SurveyExport) -> SurveyExport:
    """LimeSurvey's system columns under headings in any language, by their place and
    values: every export begins with the response id, submit date, last page and start
    language, then optionally seed, token, start date, date of last action, IP address
    and referrer URL, in that order. Recognised only when the four always there match."""
    roles: list[str] = []
    index = 0
    for _name, role, shape, always in _LS_SHAPES:
        if index >= len(export.columns):
            break
        values = [row[index] for row in export.cells]
        fits = any(values) and all(shape.match(v) for v in values)
        if fits and _name in ("id", "seed"):  # ids are unique, seeds random
            fits = len(set(values)) >= len(values) * (1 if _name == "id" else 0.8)
        if fits and _name == "ipaddr":
            fits = any("." in v or ":" in v for v in values)
        if fits:
            roles.append(role)
            index += 1
        elif always:
            return export
    columns = list(export.columns)
    for number, role in enumerate(roles):
        column = columns[number]
        if column.role != "answer":
            continue
        if role in ("respondent", "meta"):
            columns[number] = replace(column, role=role)
        else:
            columns[number] = replace(column, role="personal", personal=role)
    return replace(export, columns=tuple(columns))


def _unique_headings(header: Sequence[str]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        name = name.strip().lstrip("\ufeff") or f"column {number}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


_LS_TIMING_FULL = re.compile(r"^(?:total time|group time:.*|question time:.*)$", re.IGNORECASE)


def _ls_timing(code: str, codes: set[str]) -> bool:
    key = _key(code)
    if _LS_TIMING_FULL.match(code.strip()) or key == "interviewtime":
        return True
    if re.fullmatch(r"grouptime\d+", key):
        return True
    return key.endswith("time") and key[: -len("time")] in codes


def _ls_upload(code: str, values: Sequence[str]) -> bool:
    if _key(code).endswith("filecount") or _key(code).startswith("filecount"):
        return True
    if not values:
        return False
    for value in values[:20]:
        try:
            files = json.loads(value)
        except json.JSONDecodeError:
            return False
        if not isinstance(files, list) or not all(
            isinstance(f, dict) and ("filename" in f or "name" in f) for f in files
        ):
            return False
    return True


def _merge_multi(export: SurveyExport) -> SurveyExport:
    groups: dict[str, list[tuple[int, str]]] = {}
    for index, column in enumerate(export.columns):
        match = _LS_CODE.match(column.code) or _LS_FULL.match(column.code)
        if (
            column.role == "answer"
            and match
            and _key(match["sub"]) not in ("other", "comment", "filecount")
        ):
            groups.setdefault(match["base"].strip(), []).append((index, match["sub"].strip()))
    merged: dict[int, tuple[str, list[int], list[str]]] = {}
    for base, members in groups.items():
        values = {row[i].casefold() for row in export.cells for i, _ in members}
        if len(members) > 1 and values & _LS_SELECTED and values <= _LS_SELECTED | _LS_UNSELECTED:
            merged[members[0][0]] = (base, [i for i, _ in members], [s for _, s in members])
    if not merged:
        return export
    dropped = {i for _, indices, _ in merged.values() for i in indices}
    keep = [i for i in range(len(export.columns)) if i not in dropped or i in merged]
    columns, cells = [], [list[str]() for _ in export.cells]
    for index in keep:
        if index in merged:
            base, indices, subs = merged[index]
            columns.append(ExportColumn(base, base, separator="\x1f"))
            for out, row in zip(cells, export.cells, strict=True):
                chosen = [
                    s
                    for i, s in zip(indices, subs, strict=True)
                    if row[i].casefold() in _LS_SELECTED
                ]
                out.append("\x1f".join(chosen))
        else:
            columns.append(export.columns[index])
            for out, row in zip(cells, export.cells, strict=True):
                out.append(row[index])
    return replace(export, columns=tuple(columns), cells=tuple(tuple(r) for r in cells))


# --- what a file is, and which rows and columns to leave out -------------------------

_LS_DOCTYPE = re.compile(rb"<LimeSurveyDocType>\s*(\w+)\s*</LimeSurveyDocType>", re.IGNORECASE)
_LS_STRUCTURE = {
    b"survey": "a LimeSurvey survey structure file (.lss)",
    b"group": "a LimeSurvey question group file (.lsg)",
    b"question": "a LimeSurvey question file (.lsq)",
}


def _refuse_structure_file(path: Path, data: bytes) -> None:
    """Structure files describe a questionnaire, not its responses: say what they are."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    what = None
    if head.startswith((b"<?xml", b"<document")):
        doctype = _LS_DOCTYPE.search(data[:65536])
        kind = doctype.group(1).lower() if doctype else b""
        what = _LS_STRUCTURE.get(kind, "an XML file")
        if kind == b"responses":
            what = "a LimeSurvey response archive (.lsr)"
    elif head.startswith(b"{") and b'"SurveyEntry"' in data[:65536]:
        what = "a Qualtrics survey definition (.qsf)"
    elif data.startswith(b"PK\x03\x04") and _is_lsa(data):
        what = "a LimeSurvey survey archive (.lsa)"
    if what is not None:
        raise BadInputError(
            f"this is {what}: it describes the questionnaire, not its responses; export "
            "the responses as CSV (LimeSurvey: Responses > Export; Qualtrics: Data & "
            "Analysis > Export data) and write the instrument with `survey instrument "
            "--infer` on that export",
            file=path,
        )


def _is_lsa(data: bytes) -> bool:
    """A zip holding a survey structure (.lss) and responses (.lsr): LimeSurvey's archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(name.lower().endswith((".lss", ".lsr")) for name in archive.namelist())
    except zipfile.BadZipFile:
        return False


_PREVIEW_STATUS = {
    "surveypreview": "Survey Preview",
    "1": "Survey Preview",
    "surveytest": "Survey Test",
    "2": "Survey Test",
    "surveypreviewspam": "Survey Preview",
    "9": "Survey Preview",
    "offlinesurveypreview": "Survey Preview",
    "17": "Survey Preview",
}
_PREVIEW_CHANNEL = {"preview": "Survey Preview", "test": "Survey Test"}


def _drop_previews(export: SurveyExport) -> SurveyExport:
    """Leave out Qualtrics preview and test responses (``Status`` "Survey Preview" or
    "Survey Test", numeric 1, 2, 9 or 17; ``DistributionChannel`` preview or test)."""
    status = _column_by_key(export, ("status",))
    channel = _column_by_key(export, ("distributionchannel",))
    keep: list[tuple[str, ...]] = []
    numbers: list[int] = []
    excluded: dict[str, int] = {}
    for number, row in zip(export.rows, export.cells, strict=True):
        why = _PREVIEW_STATUS.get(_key(row[status])) if status is not None else None
        if why is None and channel is not None:
            why = _PREVIEW_CHANNEL.get(_key(row[channel]))
        if why is None:
            keep.append(row)
            numbers.append(number)
        else:
            excluded[why] = excluded.get(why, 0) + 1
    if not excluded:
        return export
    if not keep:
        raise BadInputError(
            "every response is a preview or test response; pass --keep-previews to import them",
            file=export.path,
        )
    return replace(
        export, cells=tuple(keep), rows=tuple(numbers), excluded=tuple(sorted(excluded.items()))
    )


def _column_by_key(export: SurveyExport, keys: tuple[str, ...]) -> int | None:
    for index, column in enumerate(export.columns):
        if _key(column.import_id) in keys or _key(column.code) in keys:
            return index
    for index, column in enumerate(export.columns):  # legacy V1… layout: by its text
        if re.fullmatch(r"V\d+", column.code) and _key(column.text) in keys:
            return index
    return None


_PERSONAL_HEADINGS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (what, re.compile(pattern, re.IGNORECASE))
    for what, pattern in (
        (
            "name",
            r"\b(?:your|full|first|last|given|family|sur|maiden|nick)\s*name\b"
            r"|^name\s*(?:\((?:optional|required|if you like|freiwillig|facultatif)\))?\s*[:?]?$"
            r"|\bname\s+(?:and|&)\s+surname\b|\bvor-?name\b|\bnachname\b|\bvotre nom\b"
            r"|\bwie hei(?:ß|ss)en sie\b|\btu nombre\b|\bsu nombre\b|\bcomo te llamas\b",
        ),
        (
            "address",
            r"\b(?:street|postal|post|home|mailing|your|billing|shipping)\s*address\b"
            r"|^address\s*[:?]?$|\bpost\s*code\b|\bpostal\s*code\b|\bzip\s*code\b|^zip\b"
            r"|\bhouse\s*number\b|\bstreet\s*(?:name|and\s+(?:house\s+)?number)\b|^street\b"
            r"|\bstra(?:ß|ss)e\s+und\s+hausnummer\b|\bpostleitzahl\b|^plz\b|\bcode postal\b"
            r"|^adresse\s*[:?]?$|\bvotre adresse\b|\bihre adresse\b|\bsu direcci[oó]n\b|\bwohnort\b"
            r"|^(?:city|town)\s*[:?]?$|\b(?:your|which) (?:home )?(?:city|town)\b",
        ),
        (
            "birth date",
            r"\bdate\s+of\s+birth\b|\bbirth\s*date\b|\bbirthday\b|\bborn\s+on\b"
            r"|\b(?:date|day|year)\b.{0,20}\b(?:you\s+(?:are|were)|you're)\s+born\b"
            r"|\bwhen\s+were\s+you\s+born\b|^dob\b|\bgeburtsdatum\b|\bgeboren am\b"
            r"|\bdate de naissance\b|\bfecha de nacimiento\b",
        ),
        (
            "phone number",
            r"\b(?:tele|cell|mobile\s*)?phone\s*(?:number|no\b|nr\b|#)|^(?:tele)?phone\s*[:?]?$"
            r"|\b(?:mobile|cell|contact)\s*number\b|\btelefonnummer\b|\bhandynummer\b"
            r"|\bnum[ée]ro de t[ée]l[ée]phone\b",
        ),
        ("e-mail", r"\be-?mail\s*address\b|\byour\s+e-?mail\b|^e-?mail\s*[:?]?$"),
        ("IP address", r"\bip[\s-]?address\b|^ip\s*[:?]?$"),
    )
)
_PERSONAL_CONTENT = (("[email]", "e-mail"), ("[phone]", "phone number"), ("[ip]", "IP address"))
_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
# A full date (day, month and year) in the shapes people type: 1990-04-12, 12/04/1990,
# 12.04.1990, 04-12-90 is too ambiguous to count; "12 April 1990", "April 12, 1990".
_FULL_DATE = re.compile(
    rf"^(?:(?P<y1>(?:19|20)\d\d)[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
    rf"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?P<y2>(?:19|20)\d\d)"
    rf"|(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?\.?\s+(?:{_MONTHS})\.?,?\s+(?P<y3>(?:19|20)\d\d)"
    rf"|(?:{_MONTHS})\.?\s+(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?,?\s+(?P<y4>(?:19|20)\d\d))"
    r"(?:[ T]\d\d:\d\d(?::\d\d)?)?$",
    re.IGNORECASE,
)
_STREET_WORDS = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|close|court|ct|place|pl|square|sq"
    r"|boulevard|blvd|terrace|crescent|stra(?:ß|ss)e|str|weg|gasse|allee|platz|rue|avenida|calle"
    r"|via|straat|laan|gata|vej"
)
_ADDRESS = re.compile(
    rf"\d+[a-z]?,?\s+(?:[\w.'-]+\s+){{0,4}}(?:{_STREET_WORDS})\b"
    rf"|\b[\w'-]*(?:{_STREET_WORDS})\.?\s+\d+[a-z]?\b"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"  # UK postcode
    r"|\b\d{5}(?:-\d{4})?\s+[A-ZÄÖÜ][a-zäöüß]+",  # German, French, US ZIP + city
    re.IGNORECASE,
)
# A name as typed: one to four words, each capitalised ("Jenny", "Anna-Lena de Vries").
_NAME_ANSWER = re.compile(
    r"^[A-ZÀ-ÖØ-Þ][\w'’.-]*(?:\s+(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*|de|da|van|von|der|del|la|le)){0,3}$"
)
_NAME_SHARE = 0.25  # of the answers the small model reads as a person (it misses many)
_CONTENT_SHARE = 0.5  # at least half the answers of a column


def personal_heading(text: str) -> str:
    """What personal data a question asks for, from its heading ("" if none)."""
    text = " ".join(text.split())
    for what, pattern in _PERSONAL_HEADINGS:
        if pattern.search(text):
            return what
    return ""


def _birth_date(value: str) -> bool:
    match = _FULL_DATE.match(value.strip())
    if match is None:
        return False
    year = int(next(y for y in match.group("y1", "y2", "y3", "y4") if y))
    return 1900 <= year <= date.today().year - 5


def _names_by_model(answers: Sequence[str]) -> bool:
    """Whether a column's answers are people's names: at least half are shaped like a
    name and mostly different, and the name model reads a quarter or more of them as a
    person in "My name is ANSWER." (en_core_web_sm knows "Jenny" and "Kwame" but takes
    "Marcus" and "Priya" for places or organisations, so not every one has to count)."""
    from earwitness._person_names import load_person_names
    from earwitness.errors import EarwitnessError

    short = [a.strip() for a in answers if _NAME_ANSWER.match(a.strip())]
    if len(short) < len(answers) * _CONTENT_SHARE or len(set(short)) < len(short) * 0.8:
        return False  # names are mostly different; the options of a choice repeat
    try:
        names = load_person_names()
    except EarwitnessError:  # the model is not installed: headings and patterns only
        return False
    return sum(names.are_names(short[:50])) >= len(short[:50]) * _NAME_SHARE


def personal_content(values: Sequence[str]) -> str:
    """What personal data most answers of a column are: e-mail, phone, IP, birth date,
    address or name, or ""."""
    from earwitness.privacy import Masker

    answers = [v for v in values if v.strip()][:200]
    if not answers:
        return ""
    masker = Masker()
    masked = [masker.mask(v) for v in answers]
    least = len(answers) * _CONTENT_SHARE
    for token, what in _PERSONAL_CONTENT:
        whole = sum(len(m.replace(token, "").strip(" .,;")) <= 3 and token in m for m in masked)
        if whole >= least:
            return what
    if sum(_birth_date(a) for a in answers) >= least:
        return "birth date"
    if sum(_ADDRESS.search(a) is not None for a in answers) >= least:
        return "address"
    if _names_by_model(answers[:50]):
        return "name"
    return ""


def _mark_personal(export: SurveyExport) -> SurveyExport:
    """Answer columns asking for a name, address, birth date, phone, e-mail or IP (by
    heading), or holding e-mails, phone numbers or IPs (by content), become personal."""
    columns = []
    for index, column in enumerate(export.columns):
        if column.role == "answer":
            what = personal_heading(column.text) or personal_heading(column.code)
            if not what:
                what = personal_content([row[index] for row in export.cells])
            if what:
                column = replace(column, role="personal", personal=what)
        columns.append(column)
    return replace(export, columns=tuple(columns))
