"""Commands of ``earwitness survey`` and ``earwitness import survey``."""

from __future__ import annotations

import click

__all__ = ["import_survey", "survey"]


@click.group()
def survey() -> None:
    """Analyse questionnaires by user group."""


@click.command("survey")
def import_survey() -> None:
    """Import a questionnaire export."""
    raise click.UsageError("not built yet")
