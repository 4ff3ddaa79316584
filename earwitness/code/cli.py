"""Commands of ``earwitness code``."""

from __future__ import annotations

import click

__all__ = ["code"]


@click.group()
def code() -> None:
    """Code segments against a thematic codebook and measure agreement."""
