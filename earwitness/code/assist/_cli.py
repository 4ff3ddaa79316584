"""Machine-assisted coding commands: suggest, review, evaluate, topics, stance."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from earwitness.clikit import (
    CliEnv,
    console,
    emit,
    partition_size_option,
    pass_env,
    report_options,
    scheduler_option,
)

KIND_HELP = "Segment kind (repeatable; default: turn, post, sentence)."

__all__ = ["register", "safe_text"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_text(text: str) -> str:
    """Collected text made safe for a terminal: no rich markup, no control characters."""
    return escape(_CONTROL.sub("\N{REPLACEMENT CHARACTER}", text))


def _names(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]


def register(group: click.Group) -> None:
    """Add this module's commands to ``earwitness code``."""
    for command in (
        suggest_command,
        suggestions_command,
        review_command,
        evaluate_command,
        stance_group,
        topics_command,
        promote_topic_command,
    ):
        group.add_command(command)


# --- suggestions -------------------------------------------------------------------------


@click.command("suggest", short_help="Propose codes for segments, to review.")
@click.option("--codes", metavar="A,B", help="Only these codes (comma-separated names).")
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    help="Lowest score proposed (default 0.5): a calibrated probability for codes with "
    "enough human codings, else the cosine similarity to the code's definition and examples.",
)
@click.option("--kind", "kinds", multiple=True, help=KIND_HELP)
@click.option(
    "--min-examples",
    type=click.IntRange(2),
    default=8,
    show_default=True,
    help="Human-coded (and uncoded) segments a code needs before its classifier is trained.",
)
@scheduler_option
@report_options
@pass_env
def suggest_command(
    env: CliEnv,
    codes: str | None,
    threshold: float | None,
    kinds: Sequence[str],
    min_examples: int,
    scheduler: str | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Propose codes for segments; proposals wait for `earwitness code review`."""
    from earwitness.code.assist._embeddings import Embedder
    from earwitness.code.assist._suggest import suggest
    from earwitness.partitions import optional_client
    from earwitness.progress import ProgressReporter

    where = env.scheduler(scheduler)
    with env.store() as store, optional_client(where) as client:
        embedder = Embedder.for_study(env.study, store, scheduler=where, client=client)
        with ProgressReporter("embedding segments") as bar:
            report = suggest(
                store,
                embedder,
                code_names=_names(codes),
                threshold=threshold,
                kinds=list(kinds) or None,
                min_examples=min_examples,
                on_progress=bar.advance,
            )
    title = (
        f"Suggestions ({report.model_id}, threshold {report.threshold:g}): "
        f"{report.segments} segments, {report.embedded} embedded, {report.cached} from cache"
    )
    emit(report.as_rows(), as_json=as_json, as_csv=as_csv, out=out, title=title)


@click.command("suggestions")
@click.option("--codes", metavar="A,B", help="Only these codes.")
@click.option("--min-score", type=float, help="Only suggestions scoring at least this.")
@click.option("--limit", type=click.IntRange(1), help="At most this many.")
@report_options
@pass_env
def suggestions_command(
    env: CliEnv,
    codes: str | None,
    min_score: float | None,
    limit: int | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """List the suggestions waiting for review, best first."""
    from earwitness.code.assist._suggest import pending_suggestions

    with env.store() as store:
        pending = pending_suggestions(
            store, code_names=_names(codes), min_score=min_score, limit=limit
        )
    rows = [s.as_row() for s in pending]
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title="Suggestions waiting for review")


@click.command("review", short_help="Accept or reject suggestions one by one.")
@click.option("--coder", required=True, help="Your coder name: accepted suggestions are yours.")
@click.option("--codes", metavar="A,B", help="Only suggestions of these codes.")
@click.option("--min-score", type=float, help="Only suggestions scoring at least this.")
@click.option("--limit", type=click.IntRange(1), help="Review at most this many.")
@pass_env
def review_command(
    env: CliEnv, coder: str, codes: str | None, min_score: float | None, limit: int | None
) -> None:
    """Accept or reject suggestions one by one: a(ccept), r(eject), s(kip), q(uit).

    Answers are read from the terminal, or from standard input when it is a pipe
    (e.g. `printf 'a\\nr\\n' | earwitness code review --coder ana`).
    """
    from earwitness.code.assist._suggest import (
        accept_suggestion,
        pending_suggestions,
        reject_suggestion,
    )

    counts = {"accepted": 0, "rejected": 0, "skipped": 0}
    with env.store() as store:
        pending = pending_suggestions(
            store, code_names=_names(codes), min_score=min_score, limit=limit
        )
        for number, item in enumerate(pending, 1):
            _show_suggestion(number, len(pending), item)
            answer = _ask()
            if answer == "q":
                break
            if answer == "a":
                accept_suggestion(store, item.id, coder)
                counts["accepted"] += 1
            elif answer == "r":
                reject_suggestion(store, item.id, coder)
                counts["rejected"] += 1
            else:
                counts["skipped"] += 1
    left = len(pending) - sum(counts.values())
    click.echo(
        f"accepted {counts['accepted']}, rejected {counts['rejected']}, "
        f"skipped {counts['skipped']}, not reviewed {left}"
    )


def _show_suggestion(number: int, total: int, item: Any) -> None:
    score = f"{item.score:.2f}" if item.score is not None else "?"
    console.print(
        f"\n[bold]{number}/{total}[/bold]  suggestion {item.id}: "
        f"[bold]{safe_text(item.code)}[/bold]  score {score}"
    )
    console.print(f"  {safe_text(item.text)}")
    if item.rationale:
        console.print(f"  [dim]{safe_text(item.rationale)}[/dim]")


def _ask() -> str:
    try:
        answer: str = click.prompt(
            "accept, reject, skip or quit",
            type=click.Choice(["a", "r", "s", "q"]),
            show_choices=True,
        )
    except click.Abort:
        return "q"
    return answer


# --- validation --------------------------------------------------------------------------


@click.command("evaluate", short_help="Compare held-out suggestions with human coders.")
@click.option("--codes", metavar="A,B", help="Only these codes.")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), help="As for `code suggest`.")
@click.option("--folds", type=click.IntRange(2), default=5, show_default=True)
@click.option("--kind", "kinds", multiple=True, help=KIND_HELP)
@click.option("--min-examples", type=click.IntRange(2), default=8, show_default=True)
@report_options
@pass_env
def evaluate_command(
    env: CliEnv,
    codes: str | None,
    threshold: float | None,
    folds: int,
    kinds: Sequence[str],
    min_examples: int,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Compare held-out suggestions with human coders: alpha, precision, recall, n."""
    from earwitness.code.assist._embeddings import Embedder
    from earwitness.code.assist._evaluate import evaluate

    with env.store() as store:
        results = evaluate(
            store,
            Embedder.for_study(env.study, store),
            code_names=_names(codes),
            threshold=threshold,
            folds=folds,
            kinds=list(kinds) or None,
            min_examples=min_examples,
            agreement_threshold=float(env.study.setting("agreement_threshold")),
        )
    rows = [result.as_row() for result in results]
    flagged = sum(1 for row in rows if row["flag"])
    title = f"Model vs human coders ({folds}-fold, held out by document): {flagged} flagged"
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title=title)


# --- stance ------------------------------------------------------------------------------


@click.group("stance", short_help="Stance toward AI tools: mentions, labels, detection.")
def stance_group() -> None:
    """Stance toward AI tools: find mentions, label, detect, validate, aggregate."""


def _gazetteer(env: CliEnv) -> Any:
    from earwitness.code.assist._stance import Gazetteer

    with env.store() as store:
        return Gazetteer.from_study(
            store, env.study.settings.get("gazetteer"), file=str(env.study.config_path)
        )


@stance_group.command("tools", short_help="List the gazetteer of tools and their aliases.")
@report_options
@pass_env
def stance_tools(env: CliEnv, as_json: bool, as_csv: bool, out: Path | None) -> None:
    """List the gazetteer: the study's services and their aliases (`earwitness services`)."""
    rows = [
        {"tool": tool, "aliases": ", ".join(aliases)}
        for tool, aliases in _gazetteer(env).entries.items()
    ]
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title="Tool gazetteer")


@stance_group.command("detect", short_help="Give each segment x tool mention a stance.")
@click.option("--kind", "kinds", multiple=True, help=KIND_HELP)
@click.option(
    "--method",
    type=click.Choice(["auto", "rules", "classifier", "fewshot", "vader"]),
    default="auto",
    show_default=True,
    help="rules: the target-centred rule scorer; classifier: trained on the human labels; "
    "fewshot: the encoder fine-tuned on the human labels first (SetFit; minutes on a CPU); "
    "vader: VADER on the whole segment (a baseline); auto: the classifier once enough "
    "units are labelled, else the rules.",
)
@click.option(
    "--min-examples",
    type=click.IntRange(2),
    default=20,
    show_default=True,
    help="Human stance labels needed before the classifier replaces the rules (auto).",
)
@partition_size_option(2000)
@scheduler_option
@report_options
@pass_env
def stance_detect(
    env: CliEnv,
    kinds: Sequence[str],
    method: str,
    min_examples: int,
    partition_size: int,
    scheduler: str | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Find tool mentions in every segment and give each segment × tool a stance.

    The study needs segments: run `earwitness code segment` first.
    """
    from earwitness.code.assist._embeddings import Embedder
    from earwitness.code.assist._stance import require_segments
    from earwitness.code.assist._stance_run import run_mentions

    gazetteer = _gazetteer(env)
    where = env.scheduler(scheduler)
    with env.store() as store:
        require_segments(store)
        report = run_mentions(
            store,
            gazetteer,
            kinds=list(kinds) or None,
            method=method,
            embedder=Embedder.for_study(env.study, store),
            min_examples=min_examples,
            scheduler=where,
            partition_documents=partition_size,
        )
    emit(report, as_json=as_json, as_csv=as_csv, out=out)


@stance_group.command("sample", short_help="Draw unlabelled mentions for people to label.")
@click.argument("n", type=click.IntRange(1))
@click.option(
    "--strategy",
    type=click.Choice(["uncertainty", "stratified"]),
    default="stratified",
    show_default=True,
    help="uncertainty: what the learned model is least sure of; stratified: by tool and "
    "predicted stance.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@report_options
@pass_env
def stance_sample(
    env: CliEnv,
    n: int,
    strategy: str,
    seed: int,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Draw N unlabelled segment × tool units for people to label.

    `--strategy uncertainty` trains the learned model on the labels so far and draws the
    units it is least sure of (smallest margin between its two likeliest stances, one per
    document first); with too few labels it falls back to `stratified`, which draws by
    tool and predicted stance in turn. Write them as CSV (`--csv --out sample.csv`), fill
    in the `stance` and `coder` columns, and read them back with
    `earwitness code stance import sample.csv`.
    """
    from earwitness.code.assist._active import next_stance_units
    from earwitness.code.assist._embeddings import Embedder

    with env.store() as store:
        embedder = Embedder.for_study(env.study, store) if strategy == "uncertainty" else None
        rows = next_stance_units(store, n, strategy=strategy, embedder=embedder, seed=seed)
    if not (as_json or as_csv):
        rows = [{**row, "text": safe_text(row["text"])} for row in rows]
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title=f"{len(rows)} units to label")


@stance_group.command("import", short_help="Read human stance labels from a CSV file.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--coder", help="Coder of rows whose coder column is empty.")
@pass_env
def stance_import(env: CliEnv, path: Path, coder: str | None) -> None:
    """Record the stances of PATH (columns segment_id, tool, stance, coder), one per row.

    A coder's new label for a unit replaces their earlier one; empty stances are skipped.
    """
    from earwitness.code.assist._stance import import_stance_labels

    with env.store() as store:
        count = import_stance_labels(store, path, coder=coder)
    click.echo(f"recorded {count} stance labels from {path.name}")


@stance_group.command("label")
@click.argument("segment_id", type=int)
@click.argument("tool")
@click.argument("stance", type=click.Choice(["positive", "negative", "mixed", "neutral"]))
@click.option("--coder", required=True, help="Your coder name.")
@pass_env
def stance_label(env: CliEnv, segment_id: int, tool: str, stance: str, coder: str) -> None:
    """Record your stance label for TOOL in segment SEGMENT_ID."""
    from earwitness.code.assist._stance import label_stance

    with env.store() as store:
        label_stance(store, segment_id, tool, stance, coder)
    click.echo(f"segment {segment_id}, {tool}: {stance} ({coder})")


@stance_group.command("evaluate", short_help="Agreement of the stance detectors with human labels.")
@click.option("--folds", type=click.IntRange(2), default=5, show_default=True)
@click.option("--curve", is_flag=True, help="Print a learned method's learning curve instead.")
@click.option(
    "--method",
    type=click.Choice(["classifier", "fewshot"]),
    default="classifier",
    show_default=True,
    help="With --curve: the learned method (fewshot fine-tunes the encoder for every point).",
)
@click.option(
    "--by",
    type=click.Choice(["document", "source"]),
    default="document",
    show_default=True,
    help="With --curve: hold out whole documents, or whole sources (collection batches).",
)
@report_options
@pass_env
def stance_evaluate(
    env: CliEnv,
    folds: int,
    curve: bool,
    method: str,
    by: str,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Agreement of each stance method with the human labels, beside always-neutral.

    Accuracy and Cohen's kappa against the majority human label, Krippendorff's alpha
    against every label, and human–human alpha; the classifier held out by document.
    With --curve: held-out accuracy and kappa against the number of labelled units.
    """
    from earwitness.code.assist._embeddings import Embedder
    from earwitness.code.assist._stance import evaluate_stance, stance_learning_curve

    with env.store() as store:
        embedder = Embedder.for_study(env.study, store)
        if curve:
            rows = stance_learning_curve(store, embedder, folds=folds, method=method, by=by)
            title = f"Stance {method}: learning curve (held out by {by})"
        else:
            rows = evaluate_stance(store, embedder, folds=folds)
            title = "Stance: methods vs human coders"
    if not curve:
        from earwitness.code.assist._provenance import warning_line

        for row in rows:
            if row["flag"] and row["method"] != "always-neutral":
                click.echo(warning_line(row["method"], row["flag"], row["more_labels"]), err=True)
                if row["more_labels_curve"] is not None:
                    click.echo(
                        f"  its learning curve suggests about {row['more_labels_curve']} more "
                        "labelled units to reach kappa 0.4 (an extrapolation)",
                        err=True,
                    )
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title=title)


@stance_group.command("devset", short_help="Score the stance methods on a labelled set.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--by",
    type=click.Choice(["method", "tool", "group"]),
    default="method",
    show_default=True,
    help="Figures overall, per tool, or per author group.",
)
@click.option(
    "--learned",
    is_flag=True,
    help="Also the learned model, held out by source (loads the embedding model).",
)
@click.option(
    "--fewshot",
    is_flag=True,
    help="Also the few-shot model (SetFit: fine-tunes the encoder; minutes on a CPU).",
)
@click.option(
    "--train",
    "train_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --learned or --fewshot: train on this labelled CSV and test on PATH.",
)
@report_options
@pass_env
def stance_devset(
    env: CliEnv,
    path: Path,
    by: str,
    learned: bool,
    fewshot: bool,
    train_path: Path | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Accuracy and kappa of each method on a labelled CSV (e.g. data/stance-dev.csv),
    overall, per tool or per author group, with the always-neutral baseline beside them.

    Needs no study: the CSV has the columns text, tool, stance (and author_group,
    source_url)."""
    from earwitness.code.assist._devset import evaluate_devset, read_devset

    model = None
    if learned or fewshot:
        from earwitness.code.assist._embeddings import load_model, pick_device, resolve_model

        model = load_model(resolve_model().location, pick_device())
    train = read_devset(train_path) if train_path else []
    rows = evaluate_devset(
        read_devset(path),
        by=by,
        encode=model.encode if learned and model is not None else None,
        train=train,
        fewshot=model if fewshot else None,
    )
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title=f"Stance on {path.name}")


@stance_group.command(
    "report", short_help="Stance per tool and user group, with bootstrap intervals."
)
@click.option("--boot", type=click.IntRange(100), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@report_options
@pass_env
def stance_report(
    env: CliEnv, boot: int, seed: int, as_json: bool, as_csv: bool, out: Path | None
) -> None:
    """Stance per tool × user group with 95 % bootstrap intervals (authors resampled)."""
    from earwitness.code.assist._stance import stance_aggregates

    with env.store() as store:
        rows = stance_aggregates(store, n_boot=boot, seed=seed)
    for row in rows:
        if row["group"] == "all" and row["provenance"] == "machine unvalidated":
            click.echo(
                f"warning: machine stance for {row['tool']} is unvalidated "
                f"({_kappa_text(row)}): {row['validation_flag']}; label a sample "
                "(`code stance sample`, `code stance import`) before reporting it",
                err=True,
            )
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title="Stance toward AI tools")


def _kappa_text(row: dict[str, Any]) -> str:
    if row["kappa_machine_human"] is None:
        return f"kappa undefined, n {row['n_validation']}"
    low, high = row["kappa_ci_low"], row["kappa_ci_high"]
    interval = "no interval" if low is None else f"95 % CI {low:.2f} to {high:.2f}"
    return f"kappa {row['kappa_machine_human']:.2f}, {interval}, n {row['n_validation']}"


# --- topics ------------------------------------------------------------------------------


@click.command("topics", short_help="Discover topics in the segments with BERTopic.")
@click.option("--kind", "kinds", multiple=True, help=KIND_HELP)
@click.option("--seed", type=int, default=42, show_default=True, help="UMAP's random seed.")
@click.option("--min-cluster-size", type=click.IntRange(2), default=10, show_default=True)
@click.option(
    "--zeroshot-min-similarity",
    type=click.FloatRange(0.0, 1.0),
    default=0.5,
    show_default=True,
    help="Cosine similarity to a code's definition that assigns a segment to that code's topic.",
)
@click.option("--no-zeroshot", is_flag=True, help="Cluster freely, ignoring the codebook.")
@click.option(
    "--sample-size",
    type=click.IntRange(1),
    default=20_000,
    show_default=True,
    help="Segments the model is fitted on (a sample drawn with --seed when there are more); "
    "the others are assigned to its topics in partitions.",
)
@click.option("--show-run", type=int, metavar="RUN", help="Show a stored run instead of running.")
@scheduler_option
@report_options
@pass_env
def topics_command(
    env: CliEnv,
    kinds: Sequence[str],
    seed: int,
    min_cluster_size: int,
    zeroshot_min_similarity: float,
    no_zeroshot: bool,
    sample_size: int,
    show_run: int | None,
    scheduler: str | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Discover topics in the segments with BERTopic and store them with their terms."""
    from earwitness.code.assist._embeddings import Embedder
    from earwitness.code.assist._topics import TopicParams, discover_topics, topic_table
    from earwitness.partitions import optional_client
    from earwitness.progress import ProgressReporter

    where = env.scheduler(scheduler) if show_run is None else None
    with env.store() as store:
        run_id = show_run
        if where is not None:
            params = TopicParams(
                seed=seed,
                min_cluster_size=min_cluster_size,
                zeroshot_min_similarity=zeroshot_min_similarity,
                sample_size=sample_size,
            )
            with optional_client(where) as client, ProgressReporter("discovering topics") as bar:
                run_id = discover_topics(
                    store,
                    Embedder.for_study(env.study, store, scheduler=where, client=client),
                    params=params,
                    kinds=list(kinds) or None,
                    zeroshot=not no_zeroshot,
                )
                bar.advance()
        rows = topic_table(store, run_id)
    emit(rows, as_json=as_json, as_csv=as_csv, out=out, title=f"Topics of run {run_id}")


@click.command("promote-topic", short_help="Promote a discovered topic into the codebook.")
@click.argument("topic_id", type=int)
@click.option("--name", help="Name of the new code (default: the topic's top terms).")
@click.option("--definition", help="Definition of the new code.")
@click.option("--parent", help="Name of the parent code (theme).")
@pass_env
def promote_topic_command(
    env: CliEnv, topic_id: int, name: str | None, definition: str | None, parent: str | None
) -> None:
    """Promote topic TOPIC_ID into the codebook, its representative segments as examples."""
    from earwitness.code.assist._topics import promote_topic

    with env.store() as store:
        code_id = promote_topic(store, topic_id, name=name, definition=definition, parent=parent)
    click.echo(f"topic {topic_id} is now code {code_id}")
