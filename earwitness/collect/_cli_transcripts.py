"""``earwitness import transcript`` (work in progress)."""

from __future__ import annotations

import click


@click.command("transcript")
def import_transcript() -> None:
    """Import interview transcripts."""
