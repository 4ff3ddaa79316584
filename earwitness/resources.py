"""Files that ship with earwitness: the starter codebook and the illustrative instrument.

They are package data in ``earwitness/_data/`` (``codebooks/``, ``instruments/``), so one
search order serves every way of running earwitness: a wheel install, an editable
install and a checkout all find them beside this module, and the installed tool never
needs the source tree. Nothing here reads the shared test data beside the project.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from earwitness.errors import EarwitnessError

__all__ = [
    "STARTER_CODEBOOK",
    "STARTER_INSTRUMENT",
    "data_dir",
    "data_path",
    "starter_codebook_path",
]

STARTER_CODEBOOK = "ai-mastering-adoption.yaml"
STARTER_INSTRUMENT = "ai-mastering-adoption.yaml"


def data_dir() -> Path:
    """The folder of shipped data (inside the installed package)."""
    return Path(str(files("earwitness") / "_data"))


def data_path(*parts: str) -> Path:
    """The path of a shipped file or folder, e.g. ``data_path("codebooks", "x.yaml")``."""
    candidate = data_dir().joinpath(*parts)
    if not candidate.exists():
        raise EarwitnessError(
            f"shipped file {'/'.join(parts)} is not installed (looked in {data_dir()})"
        )
    return candidate


def starter_codebook_path(name: str = STARTER_CODEBOOK) -> Path:
    """The path of a shipped codebook, or one clear error naming where we looked."""
    return data_path("codebooks", name)
