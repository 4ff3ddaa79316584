"""Commands of ``earwitness collect`` and ``earwitness import transcript``.

Each source family registers its commands from its own module.
"""

from __future__ import annotations

import click

from earwitness.collect import _cli_forums, _cli_reddit
from earwitness.collect._cli_transcripts import import_transcript

__all__ = ["collect", "import_transcript"]


@click.group()
def collect() -> None:
    """Collect forum threads: Reddit, dumps, Discourse, forums."""


_cli_reddit.register(collect)
_cli_forums.register(collect)
