"""IIR filtering with dense matrix products, in numpy alone (no scipy.signal).

A filter b/a of order N in transposed direct form II is the state-space system
z[n+1] = A z[n] + B x[n], y[n] = C z[n] + D x[n] (Oppenheim & Schafer, "Discrete-Time
Signal Processing", 3rd ed., §6.5; scipy's ``lfilter`` state). Over a block of L
samples the output is the block convolved with the first L taps of the impulse
response plus C A^i times the block's initial state, and the next block starts from
A^L z + sum_m A^(L-1-m) B x[m]. The block-start states obey the same kind of
recursion, so they are found the same way, level by level (a blocked prefix scan,
Blelloch, "Prefix sums and their applications", CMU-CS-90-190, 1990). Every step is
a matrix product: a long signal is filtered without a per-sample Python loop, exactly
up to floating-point rounding, and without importing scipy.signal, whose import costs
more than filtering a three-minute song.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BlockFilter"]

_BLOCK = 32  # samples per block, and states per block at every scan level
_LOOP_BELOW = 4  # scan this few states with a plain loop (more: a product per level is cheaper)
# Frames per product; measuring runs BLAS on one thread (``_threads.one_blas_thread``),
# since on a busy machine OpenBLAS's thread start-up costs more than these products.
_PIECE = 1 << 15


def _state_space(sections: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(A, B, C, D) of a cascade of biquads, each in transposed direct form II.

    Chaining the sections' own states (rather than expanding the cascade into one
    order-2n polynomial, whose companion matrix is badly conditioned) keeps the
    matrix powers accurate to about 1e-13.
    """
    transition = np.zeros((0, 0))
    gain, observe, direct = np.zeros(0), np.zeros(0), 1.0
    for b0, b1, b2, a0, a1, a2 in np.asarray(sections, dtype=np.float64):
        b, a = np.array([b0, b1, b2]) / a0, np.array([1.0, a1 / a0, a2 / a0])
        section = np.array([[-a[1], 1.0], [-a[2], 0.0]])
        section_gain = b[1:] - a[1:] * b[0]
        order = len(transition)
        combined = np.zeros((order + 2, order + 2))
        combined[:order, :order] = transition
        combined[order:, :order] = np.outer(section_gain, observe)  # this section's input
        combined[order:, order:] = section
        transition = combined
        gain = np.concatenate([gain, section_gain * direct])
        observe = np.concatenate([b[0] * observe, [1.0, 0.0]])
        direct *= b[0]
    return transition, gain, observe, direct


def _powers(matrix: np.ndarray, count: int) -> np.ndarray:
    """matrix**0 .. matrix**(count-1), shape (count, N, N)."""
    out = np.empty((count, *matrix.shape))
    out[0] = np.eye(len(matrix))
    for p in range(1, count):
        out[p] = matrix @ out[p - 1]
    return out


class _ScanLevel:
    """Solves z[k+1] = M z[k] + u[k] for blocks of _BLOCK steps with one product."""

    def __init__(self, transition: np.ndarray) -> None:
        order, size = len(transition), _BLOCK
        powers = _powers(transition, size + 1)
        # within a block: states 0..size (the last is the block's end) from its inputs
        within = np.zeros((size + 1, order, size, order))
        for i in range(1, size + 1):
            for m in range(i):
                within[i, :, m, :] = powers[i - 1 - m]
        self.within = within.reshape((size + 1) * order, size * order).T.copy()
        # from a block's first state to its states 0..size-1
        self.carry = powers[:size].transpose(2, 0, 1).reshape(order, size * order).copy()
        self.step = powers[size]
        self.transition = transition


class BlockFilter:
    """A cascade of biquads applied to a float signal, carrying its state between calls.

    ``sections`` has one row (b0, b1, b2, a0, a1, a2) per biquad, as scipy's ``sosfilt``.
    """

    def __init__(self, sections: np.ndarray) -> None:
        transition, gain, output, direct = _state_space(sections)
        order, size = len(transition), _BLOCK
        powers = _powers(transition, size + 1)
        observe = output @ powers  # C A^i
        impulse = np.concatenate([[direct], observe[: size - 1] @ gain])
        toeplitz = np.zeros((size, size))
        for lag in range(size):
            toeplitz[np.arange(lag, size), np.arange(size - lag)] = impulse[lag]
        self._response = toeplitz.T.copy()  # X @ response: zero-state outputs of a block
        self._observe = observe[:size].T.copy()  # Z @ observe: zero-input outputs
        self._inject = (powers[size - 1 :: -1] @ gain)[:size]  # X @ inject: input's end state
        self._levels: list[_ScanLevel] = [_ScanLevel(powers[size])]
        self._transition, self._gain = transition, gain
        self.state = np.zeros((1, order))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Filter the next stretch of one signal (float64 result), continuing the state."""
        return self.channels(x[:, None])[0]

    def channels(self, x: np.ndarray) -> np.ndarray:
        """Filter the next (frames, channels) stretch, each channel with its own state;
        the float64 result is shaped (channels, frames)."""
        if self.state.shape != (x.shape[1], len(self._transition)):
            self.state = np.zeros((x.shape[1], len(self._transition)))
        out = np.empty((x.shape[1], len(x)))
        for start in range(0, len(x), _PIECE):
            out[:, start : start + _PIECE] = self._filter(x[start : start + _PIECE])
        return out

    def _filter(self, x: np.ndarray) -> np.ndarray:
        size, (count, channels) = _BLOCK, x.shape
        blocks = -(-count // size)
        padded = np.zeros((channels, blocks * size))
        padded[:, :count] = x.T
        matrix = padded.reshape(channels * blocks, size)
        inputs = (matrix @ self._inject).reshape(channels, blocks, -1)
        starts, final = self._scan(0, inputs, self.state)
        out = matrix @ self._response
        out += starts.reshape(channels * blocks, -1) @ self._observe
        if count % size:  # the state after the last real sample, not after the padding
            final = starts[:, -1]
            for value in padded[:, (blocks - 1) * size : count].T:
                final = final @ self._transition.T + value[:, None] * self._gain
        self.state = final
        return out.reshape(channels, blocks * size)[:, :count]

    def _scan(
        self, level: int, inputs: np.ndarray, first: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """States before each step of z[k+1] = M_level z[k] + inputs[k], and the final state,
        for every channel: ``inputs`` is (channels, steps, order), ``first`` (channels, order)."""
        while len(self._levels) <= level:
            self._levels.append(_ScanLevel(self._levels[-1].step))
        scan = self._levels[level]
        channels, count, order = inputs.shape
        if count <= _LOOP_BELOW:
            states = np.empty((channels, count, order))
            state = first
            for k in range(count):
                states[:, k] = state
                state = state @ scan.transition.T + inputs[:, k]
            return states, state
        size = _BLOCK
        blocks = -(-count // size)
        padded = np.zeros((channels, blocks * size, order))
        padded[:, :count] = inputs
        relative = padded.reshape(channels * blocks, size * order) @ scan.within
        relative = relative.reshape(channels, blocks, size + 1, order)
        block_starts, _ = self._scan(level + 1, relative[:, :, size, :], first)
        states = block_starts.reshape(channels * blocks, order) @ scan.carry
        states = states.reshape(channels, blocks, size, order)
        states += relative[:, :, :size, :]
        states = states.reshape(channels, blocks * size, order)
        final = states[:, count - 1] @ scan.transition.T + inputs[:, count - 1]
        return states[:, :count], final
