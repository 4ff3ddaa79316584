"""earwitness.demo: the whole loop on a SIMULATED study, ending in the dashboard.

Everything in it is made up and labelled so: posts by made-up authors about FICTIONAL
services (:data:`FICTIONAL_SERVICES`), ILLUSTRATIVE interviews, a SIMULATED survey, SYNTHETIC
masters from a seeded chain per fictional service, simulated listeners, and SIMULATED human stance
labels of one service (coder ``SIMULATED-coder``). Served, it shows the dashboard and the
workbench side by side.
"""

from __future__ import annotations

from earwitness.demo._labels import LABELLED_SERVICE, SIMULATED_CODER
from earwitness.demo._masters import master, synth_mix, write_song
from earwitness.demo._posts import write_dump
from earwitness.demo._serve import DEMO_CODER, serve_demo
from earwitness.demo._services import FICTIONAL_SERVICES, Chain, FictionalService
from earwitness.demo._steps import LISTENING_TEST, run_demo, write_inputs

__all__ = [
    "DEMO_CODER",
    "FICTIONAL_SERVICES",
    "LABELLED_SERVICE",
    "LISTENING_TEST",
    "SIMULATED_CODER",
    "Chain",
    "FictionalService",
    "master",
    "run_demo",
    "serve_demo",
    "synth_mix",
    "write_dump",
    "write_inputs",
    "write_song",
]
