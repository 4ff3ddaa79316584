"""`earwitness --help` shows a study's workflow and every summary fits its line."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from earwitness.cli import AREA_COMMANDS, HOUSEKEEPING, IMPORT_COMMANDS, SUMMARIES, WORKFLOW, cli


def _groups(
    command: click.Group, ctx: click.Context, path: str
) -> Iterator[tuple[str, click.Group, click.Context]]:
    yield path, command, ctx
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        if isinstance(sub, click.Group):
            yield from _groups(
                sub, click.Context(sub, parent=ctx, info_name=name), f"{path} {name}"
            )


GROUPS = list(_groups(cli, click.Context(cli, info_name="earwitness"), "earwitness"))


@pytest.mark.parametrize(("path", "group", "ctx"), GROUPS, ids=[g[0] for g in GROUPS])
def test_every_summary_fits_without_dots(path: str, group: click.Group, ctx: click.Context) -> None:
    names = group.list_commands(ctx)
    limit = 80 - 6 - max(len(name) for name in names)  # click's HelpFormatter at 80 columns
    for name in names:
        command = group.get_command(ctx, name)
        assert command is not None
        summary = command.get_short_help_str(limit)
        assert summary and not summary.endswith("..."), f"`{path} {name}`: {summary!r}"


@pytest.mark.parametrize("target", sorted(SUMMARIES))
def test_lazy_summaries_equal_the_commands_own(target: str) -> None:
    import importlib

    module, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    assert SUMMARIES[target] == command.get_short_help_str(200)


def test_every_lazy_command_has_a_summary() -> None:
    targets = {target for target, _ in [*AREA_COMMANDS.values(), *IMPORT_COMMANDS.values()]}
    assert targets <= set(SUMMARIES), f"add to cli.SUMMARIES: {sorted(targets - set(SUMMARIES))}"


def test_help_lists_the_workflow_in_order() -> None:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    workflow, _, housekeeping = result.output.partition("The study and its database:")
    assert "A study's workflow, in order:" in workflow
    listed = [
        line.split()[0] for line in workflow.split("in order:")[1].splitlines() if line.strip()
    ]
    assert listed == [name for name in WORKFLOW if name in listed]
    assert listed[:2] == ["init", "collect"] and listed[-1] == "export"
    assert {"code", "survey", "audio", "groups"} <= set(listed)
    assert [line.split()[0] for line in housekeeping.splitlines() if line.strip()] == list(
        HOUSEKEEPING
    )
