"""Confidence intervals for proportions: Wilson's, from its one home."""

from __future__ import annotations

from earwitness.intervals import wilson_interval

__all__ = ["wilson_interval"]
