"""Commands of ``earwitness code``; each part registers its commands from its own module."""

from __future__ import annotations

import click

from earwitness.code import _cli_coding
from earwitness.code.assist import _cli as _cli_assist
from earwitness.code.refi import _cli as _cli_qdpx

__all__ = ["code"]


@click.group()
def code() -> None:
    """Code segments against a codebook; measure agreement."""


_cli_coding.register(code)
_cli_qdpx.register(code)
_cli_assist.register(code)
