"""earwitness.services: one identity per AI service, on both sides of the study.

A service has one canonical name, the text aliases under which people mention it (the
stance gazetteer reads them) and the audio labels (``ai:SERVICE[:SETTING]``) of the song
versions it mastered. They are stored in the study, so a study adds its own tools in one
place (``earwitness services add``). Areas may import this core package; the store does not.
"""

from __future__ import annotations

from earwitness.services._defaults import DEFAULT_EXCLUDES, DEFAULT_SERVICES
from earwitness.services._registry import (
    Service,
    ServiceIndex,
    add_aliases,
    add_labels,
    add_service,
    audio_label,
    load_services,
    norm,
)
from earwitness.services._report import services_report

__all__ = [
    "DEFAULT_EXCLUDES",
    "DEFAULT_SERVICES",
    "Service",
    "ServiceIndex",
    "add_aliases",
    "add_labels",
    "add_service",
    "audio_label",
    "load_services",
    "norm",
    "services_report",
]
