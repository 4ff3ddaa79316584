"""Shipped data is package data: found beside the package, declared for the wheel."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

import earwitness
from earwitness.errors import EarwitnessError
from earwitness.resources import STARTER_CODEBOOK, data_dir, data_path, starter_codebook_path

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_files_are_inside_the_package() -> None:
    assert data_dir() == Path(earwitness.__file__).parent / "_data"
    assert starter_codebook_path() == data_dir() / "codebooks" / STARTER_CODEBOOK
    assert starter_codebook_path().read_text(encoding="utf-8").strip()


def test_every_shipped_file_is_declared_as_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["earwitness"]
    shipped = [p.relative_to(data_dir().parent).as_posix() for p in data_dir().rglob("*.yaml")]
    assert shipped
    for name in shipped:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name


def test_a_missing_file_names_where_it_looked() -> None:
    with pytest.raises(EarwitnessError, match=r"codebooks/nope.yaml is not installed \(looked in "):
        data_path("codebooks", "nope.yaml")
