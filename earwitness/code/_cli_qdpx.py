"""Coding commands (work in progress)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add this module's commands to ``earwitness code``."""
