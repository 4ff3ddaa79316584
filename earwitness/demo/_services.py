"""The demo's FICTIONAL services: made-up names, so that no real service is misrepresented.

Each has text aliases (for the simulated posts and the gazetteer), an audio label and the
settings of the seeded mastering chain that stands in for it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FICTIONAL_SERVICES", "Chain", "FictionalService"]


@dataclass(frozen=True)
class Chain:
    """A mastering chain: shelving EQ, compression, then limiting to a loudness target."""

    low_shelf_db: float
    high_shelf_db: float
    threshold_db: float
    ratio: float
    target_lufs: float
    ceiling_dbfs: float


@dataclass(frozen=True)
class FictionalService:
    name: str
    aliases: tuple[str, ...]
    label: str
    chain: Chain
    # how each group talks about it in the simulated posts: share of positive comments
    liking: dict[str, float]


FICTIONAL_SERVICES = (
    FictionalService(
        "Loudwell", ("Loudwell", "Loud well", "loudwell.example"), "ai:loudwell",
        Chain(2.5, 3.0, -18.0, 4.0, -8.0, -0.3),
        {"amateur": 0.8, "pro-am": 0.5, "professional": 0.2},
    ),
    FictionalService(
        "Mastrino", ("Mastrino", "Mastrino AI", "Mastreno"), "ai:mastrino",
        Chain(0.5, 1.0, -16.0, 2.0, -11.0, -1.0),
        {"amateur": 0.6, "pro-am": 0.7, "professional": 0.6},
    ),
    FictionalService(
        "Sheen AI", ("Sheen AI", "Sheen", "SheenAI"), "ai:sheen",
        Chain(-1.0, 4.0, -20.0, 3.0, -9.0, -0.5),
        {"amateur": 0.5, "pro-am": 0.3, "professional": 0.25},
    ),
    FictionalService(
        "Tapewise", ("Tapewise", "Tape wise", "Tapewize"), "ai:tapewise",
        Chain(1.5, -0.5, -14.0, 1.5, -12.0, -1.0),
        {"amateur": 0.4, "pro-am": 0.6, "professional": 0.7},
    ),
)  # fmt: skip
HUMAN_CHAIN = Chain(1.0, 1.0, -16.0, 2.0, -10.0, -1.0)
