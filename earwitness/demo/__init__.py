"""earwitness.demo: the whole loop on a SIMULATED study, ending in the dashboard.

Everything in it is made up and labelled so: posts by made-up authors about FICTIONAL
services (:data:`FICTIONAL_SERVICES`), ILLUSTRATIVE interviews, a SIMULATED survey, SYNTHETIC
masters from a seeded chain per fictional service, and simulated listeners.
"""

from __future__ import annotations

from earwitness.demo._masters import master, synth_mix, write_song
from earwitness.demo._posts import write_dump
from earwitness.demo._services import FICTIONAL_SERVICES, Chain, FictionalService
from earwitness.demo._steps import LISTENING_TEST, run_demo, write_inputs

__all__ = [
    "FICTIONAL_SERVICES",
    "LISTENING_TEST",
    "Chain",
    "FictionalService",
    "master",
    "run_demo",
    "synth_mix",
    "write_dump",
    "write_inputs",
    "write_song",
]
