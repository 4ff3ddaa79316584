"""Every command and every setting is documented (the datasette rule)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from earwitness.cli import cli
from earwitness.settings import SETTINGS, TABLES

ROOT = Path(__file__).resolve().parents[1]
GENERATED = {"commands-reference.md"}  # lists every command by construction: not evidence
DOCS = "\n".join(
    p.read_text(encoding="utf-8")
    for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    if p.name not in GENERATED
)


def _command_paths(command: click.Command, prefix: str) -> Iterator[str]:
    yield prefix
    if isinstance(command, click.Group):
        context = click.Context(command, info_name=prefix)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None, f"{prefix} {name} cannot be loaded"
            yield from _command_paths(sub, f"{prefix} {name}")


COMMANDS = sorted(set(_command_paths(cli, "earwitness")) - {"earwitness"})


def mentions(path: str, text: str) -> bool:
    """Whether ``text`` names the whole command ``path`` in backticks (arguments may follow)."""
    return re.search(rf"`{re.escape(path)}(?=[` ])", text) is not None


@pytest.mark.parametrize("path", COMMANDS)
def test_every_command_is_documented(path: str) -> None:
    assert mentions(path, DOCS), f"document `{path}` in docs/*.md"


def test_a_prefix_of_a_documented_command_does_not_count() -> None:
    assert mentions("earwitness code suggestions", "see `earwitness code suggestions --json`")
    assert not mentions("earwitness code suggest", "see `earwitness code suggestions`")
    assert mentions("earwitness code suggest", "`earwitness code suggest`")


def test_the_generated_docs_are_current() -> None:
    loader = importlib.machinery.SourceFileLoader("gendocs", str(ROOT / "scripts" / "gendocs"))
    spec = importlib.util.spec_from_loader("gendocs", loader)
    assert spec is not None
    gendocs = importlib.util.module_from_spec(spec)
    loader.exec_module(gendocs)
    stale = [str(path.relative_to(ROOT)) for path in gendocs.stale_files()]
    assert stale == [], f"{', '.join(stale)}: run scripts/gendocs"


@pytest.mark.parametrize(
    "setting", [f"`{s.name}`" for s in SETTINGS] + [f"`[{s.name}]`" for s in TABLES]
)
def test_every_setting_is_documented(setting: str) -> None:
    settings_page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert setting in settings_page


def test_every_command_has_help() -> None:
    for path in COMMANDS:
        names = path.split()[1:]
        command: click.Command | None = cli
        context = click.Context(cli)
        for name in names:
            assert isinstance(command, click.Group)
            command = command.get_command(context, name)
        assert command is not None and (command.help or command.short_help), f"{path} has no help"
