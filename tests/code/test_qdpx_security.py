"""Malicious .qdpx files are refused with one clear line, and nothing is written.

Every malicious file is built here, by the test, from a valid hand-made project.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.code.refi._exchange import import_qdc, import_qdpx
from earwitness.code.refi._safezip import SafeArchive
from earwitness.errors import BadInputError
from earwitness.store import Store
from earwitness.store.schema import coders, codes, codings, documents
from earwitness.study import Study
from tests.code.test_refi_offsets import CODE, make_qdpx

XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    '<Project xmlns="urn:QDA-XML:project:1.0" name="&secret;"><CodeBook><Codes>'
    f'<Code guid="{CODE}" name="&secret;" isCodable="true"/></Codes></CodeBook></Project>'
)
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY a "lol">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + ']>\n<Project xmlns="urn:QDA-XML:project:1.0" name="&j;"><CodeBook><Codes>'
    f'<Code guid="{CODE}" name="&j;" isCodable="true"/></Codes></CodeBook></Project>'
)


def _count_rows(store: Store) -> int:
    with store.connect() as connection:
        return sum(
            connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (codes, codings, coders, documents)
        )


def _zip_slip(path: Path) -> Path:
    return make_qdpx(path, [(0, 9, "")], extra_members={"../../evil.txt": b"x"})


def _absolute(path: Path) -> Path:
    return make_qdpx(path, [(0, 9, "")], extra_members={"/etc/cron.d/evil": b"x"})


def _xxe(path: Path) -> Path:
    return make_qdpx(path, [], project_xml=XXE)


def _laughs(path: Path) -> Path:
    return make_qdpx(path, [], project_xml=LAUGHS)


def _bomb(path: Path) -> Path:
    # 64 MiB of zeros deflate to ~64 KiB: a ratio near 1000:1.
    return make_qdpx(path, [(0, 9, "")], extra_members={"Sources/bomb.txt": bytes(64 << 20)})


MALICIOUS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "zip-slip": (_zip_slip, "zip-slip"),
    "absolute path": (_absolute, "an absolute path"),
    "external entity": (_xxe, "DTD"),
    "billion laughs": (_laughs, "DTD"),
    "decompression bomb": (_bomb, "decompression bomb"),
}


@pytest.mark.parametrize("kind", list(MALICIOUS))
def test_malicious_project_is_refused_and_nothing_written(
    kind: str, store: Store, tmp_path: Path
) -> None:
    build, expected = MALICIOUS[kind]
    path = build(tmp_path / "evil.qdpx")
    with pytest.raises(BadInputError, match=expected) as raised:
        import_qdpx(store, path)
    assert "\n" not in str(raised.value)
    assert str(path) in str(raised.value)
    assert _count_rows(store) == 0


def test_codebook_with_entities_is_refused(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "evil.qdc"
    path.write_text(XXE.replace("Project", "CodeBook"), encoding="utf-8")
    with pytest.raises(BadInputError, match="DTD"):
        import_qdc(store, path)
    assert _count_rows(store) == 0


def test_archive_total_size_is_bounded(tmp_path: Path) -> None:
    path = make_qdpx(tmp_path / "big.qdpx", [(0, 9, "")])
    with pytest.raises(BadInputError, match="more than 100 bytes"):
        SafeArchive(path, max_total_bytes=100)


def test_not_a_zip_is_one_clear_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "plain.qdpx"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(BadInputError, match="not a zip archive"):
        import_qdpx(store, path)


def test_a_failure_midway_rolls_back_everything(store: Store, tmp_path: Path) -> None:
    """A source already in the study with other text stops the import after codes were
    written in the same transaction: they must not stay."""
    first = make_qdpx(tmp_path / "one.qdpx", [(0, 9, "")])
    import_qdpx(store, first)
    before = _count_rows(store)
    other = "77777777-2222-3333-4444-555555555555"
    second = make_qdpx(
        tmp_path / "two.qdpx", [(0, 9, "")], text="Other text entirely.", code=other, codebook=other
    )
    with pytest.raises(BadInputError, match="already in the study with a different text"):
        import_qdpx(store, second)
    assert _count_rows(store) == before


def test_cli_refuses_with_exit_2_and_one_line(study: Study, tmp_path: Path) -> None:
    path = _zip_slip(tmp_path / "evil.qdpx")
    command = [sys.executable, "-m", "earwitness", "--study", str(study.root)]
    result = subprocess.run(
        [*command, "code", "import-qdpx", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "zip-slip" in lines[0] and "nothing was imported" in lines[0]
