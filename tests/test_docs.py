"""Every command and every setting is documented (the datasette rule)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from earwitness.cli import cli
from earwitness.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
DOCS = "\n".join(
    p.read_text(encoding="utf-8")
    for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
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


@pytest.mark.parametrize("path", COMMANDS)
def test_every_command_is_documented(path: str) -> None:
    assert f"`{path}" in DOCS, f"document `{path}` in docs/*.md"


@pytest.mark.parametrize("setting", [s.name for s in SETTINGS])
def test_every_setting_is_documented(setting: str) -> None:
    settings_page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert f"`{setting}`" in settings_page


def test_every_command_has_help() -> None:
    for path in COMMANDS:
        names = path.split()[1:]
        command: click.Command | None = cli
        context = click.Context(cli)
        for name in names:
            assert isinstance(command, click.Group)
            command = command.get_command(context, name)
        assert command is not None and (command.help or command.short_help), f"{path} has no help"
