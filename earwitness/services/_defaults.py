"""The built-in services: AI mixing and mastering tools, with aliases and misspellings."""

from __future__ import annotations

__all__ = ["DEFAULT_EXCLUDES", "DEFAULT_SERVICES"]

DEFAULT_SERVICES: dict[str, list[str]] = {
    "LANDR": ["LANDR", "Landr.com", "LANDR Mastering", "Lander mastering", "LNDR"],
    "eMastered": ["eMastered", "e-mastered", "emaster", "emastered.com", "e mastered"],
    "CloudBounce": ["CloudBounce", "Cloud Bounce", "Cloudbounce.com", "Cloud-bounce"],
    "BandLab Mastering": ["BandLab Mastering", "BandLab master", "BandLab's mastering", "Bandlab"],
    "iZotope Ozone": [
        "iZotope Ozone",
        "iZotope Match EQ",
        "Ozone Match EQ",
        "Ozone 11 match module",
        "iZotope 11 match module",
        "Ozone match module",
        "Ozone 12",
        "Master Assistant",
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
    "Logic Pro Mastering Assistant": [
        "Mastering Assistant",
        "Logic Mastering Assistant",
        "Logic Pro Mastering Assistant",
        "Logic's Mastering Assistant",
    ],
    # the vendor named alone: a mention of one of its AI assistants, which one unknown
    "iZotope": ["iZotope", "Izotope", "Isotope"],
}

# Context rules: a match whose surrounding text (60 characters either side) matches one of
# its tool's patterns is some other thing of the same name. Kept per canonical name so a
# services table can carry them beside the aliases.
DEFAULT_EXCLUDES: dict[str, list[str]] = {
    "LANDR": [
        r"github\.com/[\w.-]+/landr",
        r"(?:pip|npm|cargo|go)\s+(?:install|get)\s+landr",
        # a file or folder of a software project (landr.conf.js, landr.py, landr/src), but
        # not "LANDR/eMastered" (a list of tools) nor the service's own site, landr.com
        r"\blandr(?:\.[a-z]+)*\.(?:py|js|mjs|cjs|ts|json|git|ya?ml|toml|lock|sh)\b",
        r"\blandr/(?:src|lib|bin|dist|docs?|test|tests|node_modules|blob|tree|package)\b",
        r"\b(?:repo|repository|package|library|crate|module|fork|pull request)\b"
        r"[^.]{0,30}\blandr\b",
        r"\blandr\b[^.]{0,30}\b(?:repo|repository|package|library|crate|npm|pypi)\b",
        # the static-site generator called landr (product-os/landr): npx, gh-pages, tokens
        r"\bnpx\s+landr\b",
        r"\blandr\b[^.]{0,60}\b(?:gh-pages|github_token|node_modules|globally|"
        r"software projects?)\b",
        r"\b(?:gh-pages|github_token|software projects?)\b[^.]{0,60}\blandr\b",
    ],
    "iZotope Neutron": [
        r"\bneutron\s+(?:music\s+)?player\b",
        r"\bneutron\s+(?:mp3|audio\s+player|app\s+for\s+android)\b",
        r"\bneutron\b[^.]{0,30}\b(?:android|playback|equaliser|equalizer app|dac|hi-?res player)\b",
        r"\b(?:player|android app)\b[^.]{0,30}\bneutron\b",
        r"\bneutron\s+(?:star|stars|bomb|scattering|radiation|flux)\b",
        # the cartoon boy genius
        r"\bjimmy\s+neutron\b",
    ],
    "iZotope Ozone": [
        # the gas and the atmosphere
        r"\bozone\s+(?:hole|holes|layer|depletion|levels?|pollution|smog|concentrations?|"
        r"generators?|therapy|alerts?|days?)\b",
        r"\b(?:stratospheric|ground[- ]level|tropospheric|atmospheric)\s+ozone\b",
        # other "Master Assistant"s: a role-playing game's helper, the oXygen XML editor's
        r"\bdungeon\s+master\s+assistant\b",
        r"\boxygen\b[^.]{0,40}\bmaster\s+assistant\b",
        r"\bmaster\s+assistant\b[^.]{0,40}\boxygen\b",
    ],
    "eMastered": [
        # a car (the "DBA Mini eMastered")
        r"\b(?:dba|mini|cooper)\s+(?:mini\s+)?e-?mastered\b",
    ],
    "Logic Pro Mastering Assistant": [
        # "an AI mastering assistant" is any tool, not Logic's, unless Logic is named
        r"(?s)^(?!.*\blogic\b).*\b(?:ai|an?|automatic|automated|online|smart|virtual)"
        r"[- ](?:ai[- ])?(?:powered\s+)?mastering\s+assistants?\b",
    ],
}
