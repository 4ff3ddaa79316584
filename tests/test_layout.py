"""The package's shape: no top-level `code`, and dependencies that flow one way."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

import earwitness

PACKAGE = Path(earwitness.__file__).parent
AREAS = ("collect", "code", "survey", "analysis", "dashboard")


def test_code_is_not_a_top_level_module() -> None:
    spec = importlib.util.find_spec("code")
    assert spec is not None and spec.origin is not None
    assert "earwitness" not in spec.origin, "a top-level `code` would shadow the standard library"
    import earwitness.code

    assert earwitness.code.__name__ == "earwitness.code"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("earwitness.")}


@pytest.mark.parametrize("area", AREAS)
def test_areas_use_only_other_areas_public_api(area: str) -> None:
    for path in (PACKAGE / area).rglob("*.py"):
        for name in _imports(path):
            parts = name.split(".")
            if len(parts) < 2 or parts[1] not in AREAS or parts[1] == area:
                continue
            assert area == "dashboard", f"{path}: area {area!r} imports area {parts[1]!r} ({name})"
            assert not any(part.startswith("_") for part in parts[2:]), (
                f"{path}: the dashboard must use {parts[1]}'s public API, not {name}"
            )


CORE_PACKAGES = ("store", "groups")


def test_core_modules_do_not_import_areas() -> None:
    core = [
        PACKAGE / "privacy.py",
        PACKAGE / "provenance.py",
        PACKAGE / "processes.py",
        PACKAGE / "webpages.py",
        PACKAGE / "intervals.py",
        PACKAGE / "partitions.py",
        PACKAGE / "_dask_worker.py",
        *(p for c in CORE_PACKAGES for p in (PACKAGE / c).rglob("*.py")),
    ]
    for path in core:
        for name in _imports(path):
            assert name.split(".")[1] not in AREAS, f"{path} imports {name}"


def test_store_does_not_import_groups() -> None:
    for path in (PACKAGE / "store").rglob("*.py"):
        for name in _imports(path):
            assert name.split(".")[1] != "groups", (
                f"{path} imports {name}: the store is below groups"
            )


@pytest.mark.parametrize("area", AREAS)
def test_areas_use_only_the_public_api_of_groups(area: str) -> None:
    for path in (PACKAGE / area).rglob("*.py"):
        for name in _imports(path):
            parts = name.split(".")
            if parts[1] == "groups":
                assert not any(part.startswith("_") for part in parts[2:]), (
                    f"{path}: use earwitness.groups' public API, not {name}"
                )


def test_the_group_list_is_declared_once() -> None:
    declared = [
        path
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
        and ('"amateur", "pro-am", "professional"' in path.read_text(encoding="utf-8"))
    ]
    assert declared == [PACKAGE / "store" / "schema.py"], declared


def test_services_is_core_and_the_store_does_not_import_it() -> None:
    for path in (PACKAGE / "services").rglob("*.py"):
        for name in _imports(path):
            assert name.split(".")[1] not in AREAS, f"{path} imports {name}"
    for path in (PACKAGE / "store").rglob("*.py"):
        assert not any(n.startswith("earwitness.services") for n in _imports(path)), path


@pytest.mark.parametrize("area", AREAS)
def test_every_area_declares_its_public_api(area: str) -> None:
    module = importlib.import_module(f"earwitness.{area}")
    assert hasattr(module, "__all__")


SQL_TEXT = ("sa.text(", "sqlalchemy.text(", "exec_driver_sql(", "from sqlalchemy import text")


def test_sql_text_lives_only_in_the_store() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "store" in path.relative_to(PACKAGE).parts:
            continue
        source = path.read_text(encoding="utf-8")
        found = [marker for marker in SQL_TEXT if marker in source]
        assert not found, f"{path}: SQL text ({found}) belongs in earwitness/store"


def test_the_dashboard_cannot_reach_raw_responses_or_the_key() -> None:
    forbidden = ("RawArchive", "read_raw_record", "raw_dir", ".key(", "secret.key", "KEY_NAME")
    for path in (PACKAGE / "dashboard").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = [name for name in forbidden if name in text]
        assert not found, f"{path} uses {found}"
