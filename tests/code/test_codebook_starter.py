"""The starter codebook ships, loads, and says what it is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from earwitness.code import load_codebook_yaml, starter_codebook_path
from earwitness.store import Store

THEMES = {
    "Perceived quality",
    "Control and transparency",
    "Trust",
    "Creativity",
    "Fear of replacement",
    "Learning",
    "Cost",
    "Workflow integration",
    "Genre fit",
    "Requested functionality",
}


def test_starter_codebook_is_complete_and_marked() -> None:
    path = starter_codebook_path()
    book = load_codebook_yaml(path)
    themes = {code.name for code in book if len(code.path) == 1}
    assert themes == THEMES
    codes = [code for code in book if code.codable]
    assert len(codes) >= 25
    for code in codes:
        assert code.definition and code.inclusion and code.exclusion, code.path
        assert code.examples and all(e["illustrative"] for e in code.examples), code.path
    text = path.read_text(encoding="utf-8")
    assert "STARTING POINT FOR RESEARCHERS TO ADAPT" in text
    assert "ILLUSTRATIVE" in text and "CC BY 4.0" in text
    assert "CC BY 4.0" in (path.parents[1] / "README.md").read_text(encoding="utf-8")


def test_starter_command_imports_or_copies(
    invoke: Callable[..., Any], store: Store, tmp_path: Path
) -> None:
    result = invoke("code", "codebook", "starter")
    assert result.exit_code == 0, result.output
    assert "41 codes: 41 new" in result.output
    assert "0 new, 0 updated" in invoke("code", "codebook", "starter").output
    copy = tmp_path / "mine.yaml"
    result = invoke("code", "codebook", "starter", "--out", str(copy))
    assert result.exit_code == 0
    assert copy.read_bytes() == starter_codebook_path().read_bytes()
