"""Commands of ``earwitness services``."""

from __future__ import annotations

from pathlib import Path

import click

from earwitness.clikit import CliEnv, emit, pass_env, report_options

__all__ = ["services"]


@click.group(
    invoke_without_command=True,
    short_help="Each AI service in text and audio, and what matches none.",
)
@report_options
@pass_env
@click.pass_context
def services(
    ctx: click.Context, env: CliEnv, as_json: bool, as_csv: bool, out: Path | None
) -> None:
    """List each AI service with its counts in text and audio, and what matches none."""
    if ctx.invoked_subcommand is not None:
        return
    from earwitness.services import services_report

    with env.store() as store:
        report = services_report(store, env.study.settings.get("gazetteer"))
    if as_json or (out is not None and not as_csv):
        emit(report, as_json=True, out=out)
        return
    if as_csv:
        emit(report["services"], as_csv=True, out=out)
        return
    emit(report["services"], title="Services")
    if report["unmatched_labels"]:
        emit(report["unmatched_labels"], title="Version labels that match no service")
    if report["unmatched_gazetteer"]:
        emit(report["unmatched_gazetteer"], title="Gazetteer entries that match no service")


@services.command("add")
@click.argument("name")
@click.option("--alias", "aliases", multiple=True, help="A text alias (repeatable).")
@click.option(
    "--label", "labels", multiple=True, metavar="ai:SERVICE[:SETTING]", help="An audio label."
)
@click.option("--fictional", is_flag=True, help="Mark the service as made up (for demos).")
@pass_env
def add_command(
    env: CliEnv, name: str, aliases: tuple[str, ...], labels: tuple[str, ...], fictional: bool
) -> None:
    """Add a service NAME (or extend it) with aliases and audio labels."""
    from earwitness.services import add_service

    with env.store() as store:
        service = add_service(
            store,
            name,
            aliases=aliases,
            labels=labels,
            extra={"fictional": True} if fictional else None,
        )
    click.echo(
        f"{service.name}: {len(service.aliases)} aliases, labels {', '.join(service.labels)}"
    )


@services.command("alias")
@click.argument("name")
@click.argument("aliases", nargs=-1, required=True)
@pass_env
def alias_command(env: CliEnv, name: str, aliases: tuple[str, ...]) -> None:
    """Add text ALIASES (how people write it) to the service NAME."""
    from earwitness.services import add_aliases

    with env.store() as store:
        added = add_aliases(store, name, aliases)
    click.echo(f"Added {added} aliases to {name}.")


@services.command("label", short_help="Add ai: audio labels to a service.")
@click.argument("name")
@click.argument("labels", nargs=-1, required=True)
@pass_env
def label_command(env: CliEnv, name: str, labels: tuple[str, ...]) -> None:
    """Add audio LABELS (ai:SERVICE[:SETTING] of song versions) to the service NAME."""
    from earwitness.services import add_labels

    with env.store() as store:
        added = add_labels(store, name, labels)
    click.echo(f"Added {added} labels to {name}.")
