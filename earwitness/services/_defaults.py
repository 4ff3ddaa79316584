"""The built-in services: AI mixing and mastering tools, with aliases and misspellings."""

from __future__ import annotations

__all__ = ["DEFAULT_SERVICES"]

DEFAULT_SERVICES: dict[str, list[str]] = {
    "LANDR": ["LANDR", "Landr.com", "LANDR Mastering", "Lander mastering", "LNDR"],
    "eMastered": ["eMastered", "e-mastered", "emaster", "emastered.com", "e mastered"],
    "CloudBounce": ["CloudBounce", "Cloud Bounce", "Cloudbounce.com", "Cloud-bounce"],
    "BandLab Mastering": ["BandLab Mastering", "BandLab master", "BandLab's mastering", "Bandlab"],
    "iZotope Ozone": [
        "iZotope Ozone",
        "Izotope Ozone",
        "Ozone",
        "Ozone 9",
        "Ozone 10",
        "Ozone 11",
        "Ozone Master Assistant",
        "Izotop Ozone",
        "Isotope Ozone",
    ],
    "iZotope Neutron": [
        "iZotope Neutron",
        "Neutron",
        "Neutron 4",
        "Isotope Neutron",
        "Neutron Mix Assistant",
    ],
    "RoEx": ["RoEx", "Roex", "RoEx Automix", "RoEx Tonn", "Roex Mix Check"],
    "Sonible smart:EQ": [
        "smart:EQ",
        "smartEQ",
        "smart EQ",
        "Sonible smart:EQ",
        "Sonible smartEQ",
        "Sonible",
    ],
    "Masterchannel": ["Masterchannel", "MasterChannel AI", "Masterchanel"],
    "matchering": ["matchering", "Matchering 2.0", "matchering.com", "Matchring"],
    "DistroKid Mixea": ["Mixea", "DistroKid Mixea"],
    "Waves Online Mastering": ["Waves Online Mastering", "Waves mastering AI"],
}
