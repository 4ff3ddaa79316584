"""Commands of ``earwitness groups``: assign, override, sample, coverage, validate."""

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
    ASSIGN_METHODS,
    METHOD,
    SAMPLING_STRATEGIES,
    USER_GROUPS,
    assign_groups,
    group_coverage,
    override_group,
    resolve_method,
    sample_authors,
    validate_group_rules,
)

__all__ = ["groups"]


@click.group("groups")
def groups() -> None:
    """User groups (amateur, pro-am, professional) of authors.

    Assigned from what authors say about themselves (flair, experience, paid work) by
    transparent rules; a researcher's override always wins.
    """


@groups.command("assign", short_help="Assign groups by the rules or the learned model.")
@click.option(
    "--method",
    type=click.Choice(list(ASSIGN_METHODS)),
    default="auto",
    show_default=True,
    help="rules; learned (a model fitted on the manually labelled authors); auto: learned "
    "once 20 or more authors in two groups or more are labelled, else rules.",
)
@partition_size_option(5000, "Authors")
@scheduler_option
@report_options
@pass_env
def groups_assign(
    env: CliEnv,
    method: str,
    partition_size: int,
    scheduler: str | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Assign groups by the rules or the learned model; manual overrides are kept."""
    where = env.scheduler(scheduler)
    with env.store() as store:
        used = resolve_method(store, method)
        counts = assign_groups(
            store, method=used, scheduler=where, partition_authors=partition_size
        )
    how = METHOD if used == "learned" else "rules"
    rows = [{"group": group, "authors": n, "method": how} for group, n in sorted(counts.items())]
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title=f"Authors assigned ({how})")


@groups.command("sample", short_help="Authors to label next (uncertain or rare groups).")
@click.argument("n", type=click.IntRange(min=1))
@click.option(
    "--strategy",
    type=click.Choice(list(SAMPLING_STRATEGIES)),
    default="uncertainty",
    show_default=True,
    help="uncertainty: those the learned model is least sure of (stratified until 20 "
    "authors are labelled); stratified: round-robin over the rules' groups, rarest first.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the draw.")
@report_options
@pass_env
def groups_sample(
    env: CliEnv,
    n: int,
    strategy: str,
    seed: int,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """N authors without a manual group worth labelling next, with the group predicted
    and why each was chosen; label them in the workbench or with `groups override`."""
    with env.store() as store:
        rows = sample_authors(store, n, strategy=strategy, seed=seed)
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title="Authors to label next")


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


@groups.command("validate", short_help="Recall, precision and alpha per group vs manual labels.")
@click.option(
    "--method",
    type=click.Choice(["rules", "learned"]),
    default="rules",
    show_default=True,
    help="learned: the model, each labelled author predicted by a model fitted without "
    "them (5-fold cross-validation over authors).",
)
@report_options
@pass_env
def groups_validate(
    env: CliEnv, method: str, as_json: bool, as_csv: bool, out: Path | None
) -> None:
    """Recall and precision of the rules (or the learned model) per group against the
    manually labelled authors, and Krippendorff's alpha over all of them and over those
    the method assigned."""
    with env.store() as store:
        rows = validate_group_rules(store, method=method)
    overall = rows[-1]
    name = "group rules" if method == "rules" else "group model"
    if overall["flag"]:
        from earwitness.provenance import warning_line  # numpy: not at `groups --help`

        click.echo(warning_line(name, overall["flag"], overall["more_labels"]), err=True)
    title = (
        "Rules vs manual labels"
        if method == "rules"
        else "Model (cross-validated) vs manual labels"
    )
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title=title)
