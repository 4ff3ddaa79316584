"""The demo's whole loop, step by step, through the same commands a researcher types."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from earwitness.demo._labels import LABELLED_SERVICE, write_labels
from earwitness.demo._masters import write_song
from earwitness.demo._posts import write_codings, write_dump
from earwitness.demo._services import FICTIONAL_SERVICES
from earwitness.resources import data_path
from earwitness.study import Study, find_study

__all__ = ["LISTENING_TEST", "SONGS", "run_demo", "write_inputs"]

SONGS = 3
LISTENING_TEST = "SIMULATED blind test"
NAME = "earwitness demo (SIMULATED data)"
Echo = Callable[[str], Any]


def write_inputs(directory: Path) -> list[Path]:
    """Write the demo's inputs into ``directory`` (for the tutorial, which runs the same
    commands on them by hand): a SIMULATED Reddit dump and codings of its posts, the
    ILLUSTRATIVE interviews and their codings, the SIMULATED survey and its instrument, and
    SYNTHETIC audio (a mix, a human master and one master per FICTIONAL service per song)."""
    import shutil

    demo = data_path("demo")
    directory.mkdir(parents=True, exist_ok=True)
    written = [
        write_dump(directory / "RC_SIMULATED_demo.ndjson.zst"),
        write_codings(directory / "codings-posts-SIMULATED.csv"),
    ]
    shutil.copytree(demo / "interviews", directory / "interviews", dirs_exist_ok=True)
    for name in ("survey-SIMULATED-gforms.csv", "codings-SIMULATED.csv"):
        written.append(Path(shutil.copyfile(demo / name, directory / name)))
    instrument = data_path("instruments", "ai-mastering-adoption.yaml")
    written.append(Path(shutil.copyfile(instrument, directory / instrument.name)))
    chains = {service.label: service.chain for service in FICTIONAL_SERVICES}
    for song in range(SONGS):
        written.extend(write_song(directory / "audio", song, chains).values())
    return [*written, *sorted((directory / "interviews").iterdir())]


def _run(echo: Echo, *args: str) -> None:
    from earwitness.cli import cli

    echo("$ earwitness " + " ".join(args))
    cli.main(args=list(args), prog_name="earwitness", standalone_mode=False)


def run_demo(directory: Path, echo: Echo = print, *, suggest: bool = True) -> Study:
    """Build the demo study in ``directory``: collect, code, survey, masters, listening."""
    root = str(directory)
    demo = data_path("demo")

    def ew(*args: str) -> None:
        _run(echo, "--study", root, *args)

    echo(f"\n== A new study in {root} (embedded SQLite)")
    _run(echo, "init", root, "--name", NAME)
    echo("\n== FICTIONAL services, declared once for text (aliases) and audio (labels)")
    for service in FICTIONAL_SERVICES:
        aliases = [a for alias in service.aliases[1:] for a in ("--alias", alias)]
        ew("services", "add", service.name, *aliases, "--label", service.label, "--fictional")
    echo("\n== What people say: SIMULATED posts, ILLUSTRATIVE interviews, a SIMULATED survey")
    dump = write_dump(directory / "incoming" / "RC_SIMULATED_demo.ndjson.zst")
    ew("collect", "dump", str(dump))
    ew("import", "transcript", str(demo / "interviews" / "interview-01.txt"), "--group", "amateur")
    ew("import", "transcript", str(demo / "interviews" / "interview-02.vtt"),
       "--group", "professional")  # fmt: skip
    ew("import", "survey", str(demo / "survey-SIMULATED-gforms.csv"),
       "--instrument", str(data_path("instruments", "ai-mastering-adoption.yaml")))  # fmt: skip
    echo("\n== Coding: the starter codebook, two coders, their agreement")
    ew("code", "codebook", "starter")
    ew("code", "segment")
    ew("code", "import-codings", str(demo / "codings-SIMULATED.csv"))
    posts = write_codings(directory / "incoming" / "codings-posts-SIMULATED.csv")
    ew("code", "import-codings", str(posts))
    ew("code", "agreement", "--coders", "ana,ben")
    echo("\n== Machine assistance proposes, people decide: user groups, stance, suggestions")
    ew("groups", "assign")
    ew("code", "stance", "detect")
    echo(f"\n== SIMULATED human stance labels of {LABELLED_SERVICE}, so one service is validated")
    with find_study(root).open_store() as store:
        labels = write_labels(store, directory / "incoming" / "stance-labels-SIMULATED.csv")
    ew("code", "stance", "import", str(labels))
    ew("code", "stance", "report")
    if suggest:
        ew("code", "suggest", "--threshold", "0.5")
    echo("\n== What people hear: SYNTHETIC mixes, a human master and one per FICTIONAL service")
    chains = {service.label: service.chain for service in FICTIONAL_SERVICES}
    for song in range(SONGS):
        name = f"SYNTHETIC song {song + 1}"
        for label, path in write_song(directory / "incoming" / "audio", song, chains).items():
            ew("audio", "add", "--song", name, "--version", label, str(path))
    ew("audio", "measure")
    for song in range(SONGS):
        ew("audio", "compare", "--song", f"SYNTHETIC song {song + 1}")
    ew("services")
    echo("\n== A blind listening test with SIMULATED listeners")
    # AI or human master, which is better? Only a design that rates the human master as
    # one more condition can say (a MUSHRA reference is the best version by definition)
    ew("listen", "create", LISTENING_TEST, "--design", "mushra-noref", "--reference", "human",
       "--conditions", "ai:*", "--excerpt-s", "4")  # fmt: skip
    ew("listen", "simulate", LISTENING_TEST, "--n", "30", "--seed", "0", "--respondents", "12")
    ew("listen", "report", LISTENING_TEST)
    ew("status")
    return find_study(root)
