"""Commands of ``earwitness collect`` and ``earwitness import transcript``."""

from __future__ import annotations

import click

__all__ = ["collect", "import_transcript"]


@click.group()
def collect() -> None:
    """Collect forum threads: Reddit, dump files, Discourse and HTML forums."""


@click.command("transcript")
def import_transcript() -> None:
    """Import interview transcripts."""
    raise click.UsageError("not built yet")
