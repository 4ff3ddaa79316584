"""Commands of ``earwitness groups``: assign, override, coverage, validate."""

from __future__ import annotations

from pathlib import Path

import click

from earwitness.clikit import (
    CliEnv,
    emit,
    partition_size_option,
    pass_env,
    report_options,
    scheduler_option,
)
from earwitness.groups import (
    USER_GROUPS,
    assign_groups,
    group_coverage,
    override_group,
    validate_group_rules,
)

__all__ = ["groups"]


@click.group("groups")
def groups() -> None:
    """User groups (amateur, pro-am, professional) of authors.

    Assigned from what authors say about themselves (flair, experience, paid work) by
    transparent rules; a researcher's override always wins.
    """


@groups.command("assign")
@partition_size_option(5000, "Authors")
@scheduler_option
@report_options
@pass_env
def groups_assign(
    env: CliEnv,
    partition_size: int,
    scheduler: str | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Assign groups by the transparent rules; manual overrides are kept."""
    where = env.scheduler(scheduler)
    with env.store() as store:
        counts = assign_groups(store, scheduler=where, partition_authors=partition_size)
    rows = [{"group": group, "authors": n} for group, n in sorted(counts.items())]
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title="Authors assigned")


@groups.command("override")
@click.argument("pseudonym")
@click.argument("group", required=False, type=click.Choice(list(USER_GROUPS)))
@click.option("--note", default="", help="Why (kept with the override).")
@click.option("--clear", is_flag=True, help="Remove the override; rules assign again.")
@pass_env
def groups_override(env: CliEnv, pseudonym: str, group: str | None, note: str, clear: bool) -> None:
    """Set PSEUDONYM's group by hand; the rules never overwrite it."""
    if clear == (group is not None):
        raise click.UsageError("give a GROUP, or --clear")
    with env.store() as store:
        override_group(store, pseudonym, None if clear else group, note=note)
    click.echo(f"{pseudonym}: " + ("override cleared" if clear else f"{group} (manual)"))


@groups.command("coverage")
@report_options
@pass_env
def groups_coverage(env: CliEnv, as_json: bool, as_csv: bool, out: Path | None) -> None:
    """How many authors, and how many of their segments, have a group."""
    with env.store() as store:
        rows = group_coverage(store)
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title="User-group coverage")


@groups.command("validate", short_help="Recall, precision and alpha of the rules per group.")
@report_options
@pass_env
def groups_validate(env: CliEnv, as_json: bool, as_csv: bool, out: Path | None) -> None:
    """Recall and precision of the rules per group against the manually labelled authors,
    and Krippendorff's alpha over all of them and over those the rules assigned."""
    with env.store() as store:
        rows = validate_group_rules(store)
    overall = rows[-1]
    if overall["flag"]:
        from earwitness.provenance import warning_line  # numpy: not at `groups --help`

        click.echo(warning_line("group rules", overall["flag"], overall["more_labels"]), err=True)
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title="Rules vs manual labels")
