"""Commands of ``earwitness audio``."""

from __future__ import annotations

import click

__all__ = ["audio"]


@click.group()
def audio() -> None:
    """Measure masters and compare AI with human mastering."""
