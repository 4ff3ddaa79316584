"""Offset units: each tool's counting is detected per file and converted to code points.

The projects here are hand-made for the tests (illustrative text), written the way each
tool counts: code points (the standard, QualCoder), UTF-8 bytes (no verified tool), UTF-16 units
(NVivo), CRLF counted as one; ATLAS.ti-style selections quote their text in ``name``.
"""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
import sqlalchemy as sa

from earwitness.code.refi._exchange import import_qdpx
from earwitness.code.refi._offsets import UNITS, OffsetMap, RawSelection, detect_unit
from earwitness.store import Store
from earwitness.store.schema import codings, documents

TEXT = (
    "Mastering with AI 🎛️ felt like cheating, née magic.\r\n"
    "Der Klang war zu laut 🔊 und zu hell.\r\n"
    "J'ai préféré mon propre réglage, honnêtement.\r\n"
)
WORDS = ["cheating", "magic", "Klang", "laut", "hell", "préféré", "réglage", "honnêtement"]
CODE = "11111111-2222-3333-4444-555555555555"


def _offset(text: str, index: int, unit: str) -> int:
    head = text[:index]
    if unit.endswith("-lf"):
        head = head.replace("\r\n", "\n")
    if unit.startswith("utf-8"):
        return len(head.encode("utf-8"))
    if unit.startswith("utf-16"):
        return len(head.encode("utf-16-le")) // 2
    return len(head)


def make_qdpx(
    path: Path,
    selections: list[tuple[int, int, str]],
    *,
    text: str = TEXT,
    code: str = CODE,
    codebook: str = CODE,
    project_xml: str | None = None,
    extra_members: dict[str, bytes] | None = None,
) -> Path:
    """A one-source project; each selection is (start, end, name) in the file's own unit."""
    source = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    parts = []
    for start, end, name in selections:
        parts.append(
            f'<PlainTextSelection guid="{uuid.uuid4()}" name={quoteattr(name)} '
            f'startPosition="{start}" endPosition="{end}">'
            f'<Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="{code}"/></Coding>'
            "</PlainTextSelection>"
        )
    xml = project_xml or (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="hand-made test project">'
        f'<CodeBook><Codes><Code guid="{codebook}" name="Feeling" isCodable="true"/></Codes>'
        "</CodeBook><Sources>"
        f'<TextSource guid="{source}" name="illustrative" '
        f'plainTextPath="internal://{source}.txt">{"".join(parts)}</TextSource>'
        "</Sources></Project>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml.encode("utf-8"))
        archive.writestr(f"Sources/{source}.txt", text.encode("utf-8"))
        for name, data in (extra_members or {}).items():
            archive.writestr(name, data)
    return path


def _word_selections(unit: str, *, quote: bool = False) -> list[tuple[int, int, str]]:
    found = []
    for word in WORDS:
        index = TEXT.index(word)
        found.append(
            (
                _offset(TEXT, index, unit),
                _offset(TEXT, index + len(word), unit),
                word if quote else "",
            )
        )
    return found


def _spans(store: Store) -> list[str]:
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(codings.c.start, codings.c.end, documents.c.text)
            .join(documents, documents.c.id == codings.c.document_id)
            .order_by(codings.c.start)
        )
        return [row.text[row.start : row.end] for row in rows]


@pytest.mark.parametrize("unit", [unit.key for unit in UNITS])
def test_each_tools_unit_is_detected_and_converted(unit: str, store: Store, tmp_path: Path) -> None:
    path = make_qdpx(tmp_path / f"{unit}.qdpx", _word_selections(unit))
    summary = import_qdpx(store, path)
    assert summary.offset_unit == next(u.label for u in UNITS if u.key == unit)
    assert summary.unanchored == []
    assert _spans(store) == WORDS


def test_text_keeps_its_line_ends() -> None:
    offsets = OffsetMap(TEXT, next(u for u in UNITS if u.key == "code-points-lf"))
    line_two = TEXT.index("Der")
    assert offsets.to_code_point(_offset(TEXT, line_two, "code-points-lf")) == line_two
    # the end of a line in a CRLF-as-one count lands before the CR, not between CR and LF
    assert offsets.to_code_point(_offset(TEXT, line_two - 2, "code-points-lf")) == line_two - 2


def test_offsets_inside_a_character_do_not_convert() -> None:
    utf8 = OffsetMap(TEXT, next(u for u in UNITS if u.key == "utf-8"))
    inside_e_acute = len(TEXT[: TEXT.index("née") + 1].encode("utf-8")) + 1
    assert utf8.to_code_point(inside_e_acute) is None
    assert utf8.to_code_point(utf8.length + 1) is None


def test_ascii_text_gives_no_evidence_and_keeps_the_standard() -> None:
    choice = detect_unit({"s": "plain ascii"}, [RawSelection("s", 0, 5)])
    assert choice.unit.key == "code-points" and list(choice.scores) == ["code-points"]


def test_quoted_selections_that_miss_are_re_anchored_or_reported(
    store: Store, tmp_path: Path
) -> None:
    selections = _word_selections("code-points", quote=True)
    start, end, _ = selections[0]
    selections[1] = (selections[1][0] + 3, selections[1][1] + 3, "magic")  # shifted
    selections.append((start, end, "not in the text at all"))
    selections.append((10_000, 10_010, ""))  # beyond the end
    summary = import_qdpx(store, make_qdpx(tmp_path / "q.qdpx", selections))

    assert summary.relocated == 1
    assert [item["reason"] for item in summary.unanchored] == [
        "its quoted text is not at its offsets",
        "its offsets fall outside the text or inside a character",
    ]
    assert _spans(store) == WORDS


def test_a_coding_of_an_unknown_code_is_reported(store: Store, tmp_path: Path) -> None:
    path = make_qdpx(tmp_path / "c.qdpx", [(0, 9, "")], code="99999999-2222-3333-4444-555555555555")
    summary = import_qdpx(store, path)
    assert summary.codings == 0
    assert "is not in the codebook" in summary.unanchored[0]["reason"]


def test_names_used_as_labels_do_not_refuse_selections(store: Store, tmp_path: Path) -> None:
    selections = [(s, e, "a label, not a quote") for s, e, _ in _word_selections("utf-16")]
    summary = import_qdpx(store, make_qdpx(tmp_path / "labels.qdpx", selections))
    assert summary.unanchored == [] and summary.relocated == 0
    assert _spans(store) == WORDS
