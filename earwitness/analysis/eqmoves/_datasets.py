"""The paper's nine datasets: operation width x minimum spacing of centres on a note grid.

Shtern et al. 2018, section 3: every operation is +6 dB; widths of 2, 1 and 1/2 octave;
centres drawn from all C notes (spacing 1 octave), C and F sharp (1/2 octave), or C,
D sharp, F sharp and A (1/4 octave) in the hearing range; a set holds 1 to 7 operations.
Here the grid runs from C1 (32.7 Hz) to C10 (16.7 kHz); see docs/eqmoves.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from earwitness.analysis.eqmoves._operations import EqOperation

__all__ = ["DATASETS", "PAPER_TABLE1", "PAPER_TABLE2", "PAPER_TABLE3", "Dataset", "make_sets"]

GAIN_DB = 6.0
MAX_OPERATIONS = 7
_C1_MIDI, _C10_MIDI = 24, 132


def _midi_hz(note: int) -> float:
    return float(440.0 * 2.0 ** ((note - 69) / 12.0))


@dataclass(frozen=True)
class Dataset:
    width_oct: float
    spacing_oct: float

    @property
    def name(self) -> str:
        def part(x: float) -> str:
            return {1.0: "1", 0.5: "1/2", 0.25: "1/4", 2.0: "2"}[x]

        return f"F{part(self.spacing_oct)}W{part(self.width_oct)}"

    @property
    def grid_hz(self) -> np.ndarray:
        step = round(12 * self.spacing_oct)
        return np.array([_midi_hz(n) for n in range(_C1_MIDI, _C10_MIDI + 1, step)])


DATASETS = tuple(Dataset(w, s) for w in (0.5, 1.0, 2.0) for s in (1.0, 0.5, 0.25))

# Table 1: exact set, % (rows: width 1/2, 1, 2 octaves; columns: spacing 1, 1/2, 1/4 octave).
PAPER_TABLE1 = {
    (0.5, 1.0): 96.4,
    (0.5, 0.5): 97.6,
    (0.5, 0.25): 97.9,
    (1.0, 1.0): 93.9,
    (1.0, 0.5): 93.6,
    (1.0, 0.25): 89.7,
    (2.0, 1.0): 88.7,
    (2.0, 0.5): 85.8,
    (2.0, 0.25): 77.4,
}
# Table 2: number of operations only, % (F1W1, F1W2, F1/2W1, F1/2W2).
PAPER_TABLE2 = {(1.0, 1.0): 95.6, (2.0, 1.0): 90.5, (1.0, 0.5): 93.6, (2.0, 0.5): 85.8}
# Table 3: rock-trained models on songs of other genres, exact set, %.
PAPER_TABLE3 = {
    (0.5, 1.0): 93.04,
    (0.5, 0.5): 95.45,
    (0.5, 0.25): 95.68,
    (1.0, 1.0): 87.83,
    (1.0, 0.5): 88.18,
    (1.0, 0.25): 84.86,
    (2.0, 1.0): 82.60,
    (2.0, 0.5): 76.36,
    (2.0, 0.25): 68.65,
}


def make_sets(dataset: Dataset, n_sets: int, seed: int) -> list[tuple[int, ...]]:
    """``n_sets`` distinct sets of grid indices; sizes cycle through 1..7 so each is used."""
    rng = np.random.default_rng(
        [seed, round(dataset.width_oct * 4), round(dataset.spacing_oct * 4)]
    )
    grid = len(dataset.grid_hz)
    sets: list[tuple[int, ...]] = []
    seen: set[tuple[int, ...]] = set()
    attempts = 0
    while len(sets) < n_sets:
        size = 1 + len(sets) % MAX_OPERATIONS
        chosen = tuple(sorted(int(i) for i in rng.choice(grid, size, replace=False)))
        attempts += 1
        if chosen not in seen or attempts > 100 * n_sets:
            seen.add(chosen)
            sets.append(chosen)
    return sets


def set_operations(dataset: Dataset, indices: tuple[int, ...]) -> list[EqOperation]:
    grid = dataset.grid_hz
    return [EqOperation(float(grid[i]), GAIN_DB, dataset.width_oct) for i in indices]
