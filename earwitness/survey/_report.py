"""The survey report: every item compared across user groups.

Respondents whose group is unknown are counted in the distributions but left out of
between-group tests. Each result row names its test, n and effect size; a p-value
without an effect size is never emitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.errors import EarwitnessError
from earwitness.groups import GROUPS, UNKNOWN
from earwitness.store import schema as s
from earwitness.survey._instrument import Instrument, Item, Scale, instrument_from_dict
from earwitness.survey._stats import (
    MIN_GROUP_N,
    TestResult,
    chi_square,
    cronbach_alpha,
    holm,
    kruskal_wallis,
    ordinal_regression,
    pairwise_mann_whitney,
    wilson_interval,
)

__all__ = ["SurveyData", "SurveyReport", "build_report", "load_responses"]

GROUP_ORDER = (*GROUPS, UNKNOWN)
RESULT_COLUMNS = [
    "item",
    "item_text",
    "test",
    "comparison",
    "n",
    "statistic",
    "df",
    "p",
    "p_method",
    "p_adjusted",
    "effect_name",
    "effect_size",
    "ci_low",
    "ci_high",
    "magnitude",
    "warnings",
]


@dataclass
class SurveyData:
    """An instrument and its stored answers: one row per respondent, item and value."""

    instrument: Instrument
    responses: pd.DataFrame  # respondent, group, item, value, value_num, label


@dataclass
class SurveyReport:
    title: str
    instrument: str
    illustrative: bool
    by: str
    groups: dict[str, int]
    results: list[dict[str, Any]] = field(default_factory=list)
    distributions: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)

    def results_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.results, columns=RESULT_COLUMNS)

    def summary_frame(self) -> pd.DataFrame:
        """The results, short enough for a terminal."""
        rows = []
        for r in self.results:
            effect = r["effect_size"]
            rows.append(
                {
                    "item": r["item"],
                    "test": r["test"],
                    "comparison": r["comparison"],
                    "n": r["n"],
                    "statistic": _fmt(r["statistic"]),
                    "p": _fmt(r["p_adjusted"] if r["p_adjusted"] is not None else r["p"]),
                    "effect": (
                        f"{r['effect_name']} {_fmt(effect)}"
                        + (f" ({r['magnitude']})" if r.get("magnitude") else "")
                        if effect is not None
                        else ""
                    ),
                    "warning": "yes" if r["warnings"] else "",
                }
            )
        return pd.DataFrame(rows)

    def distributions_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.distributions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "illustrative": self.illustrative,
            "by": self.by,
            "groups": self.groups,
            "items": self.items,
            "results": self.results,
            "distributions": self.distributions,
            "warnings": self.warnings,
        }


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def load_responses(connection: Connection, instrument_name: str | None = None) -> SurveyData:
    """The stored answers of one instrument (the only one, if no name is given)."""
    rows = connection.execute(
        sa.select(s.instruments.c.id, s.instruments.c.name, s.instruments.c.definition)
    ).all()
    if not rows:
        raise EarwitnessError("the study holds no survey yet; run `earwitness import survey`")
    if instrument_name is None:
        if len(rows) > 1:
            names = ", ".join(sorted(r.name for r in rows))
            raise EarwitnessError(f"the study holds several instruments; name one: {names}")
        instrument_name = str(rows[0].name)
    found = [r for r in rows if r.name == instrument_name]
    if not found:
        raise EarwitnessError(f"no instrument named {instrument_name!r} in the study")
    chosen = found[0]
    instrument = instrument_from_dict(chosen.definition, where=f"instrument {chosen.name}")
    r, i, p = s.survey_responses, s.survey_items, s.participants
    result = connection.execute(
        sa.select(
            p.c.pseudonym.label("respondent"),
            p.c.user_group.label("group"),
            i.c.code.label("item"),
            r.c.value,
            r.c.value_num,
            r.c.label,
        )
        .select_from(r.join(i, r.c.item_id == i.c.id).join(p, r.c.participant_id == p.c.id))
        .where(i.c.instrument_id == chosen.id)
        .order_by(r.c.id)
    )
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    return SurveyData(instrument, frame)


def _grouping(data: SurveyData, by: str) -> tuple[pd.Series, list[str]]:
    responses = data.responses
    if by == "group":
        groups = responses.groupby("respondent")["group"].first()
        present = set(groups)
        return groups, [g for g in GROUP_ORDER if g in present]
    try:
        item = data.instrument.item(by)
    except KeyError:
        raise EarwitnessError(f"--by {by!r}: not `group` nor an item of the instrument") from None
    if item.type != "single":
        raise EarwitnessError(f"--by {by!r}: compare by a single-choice item, not a {item.type}")
    answers = responses[responses["item"] == by].set_index("respondent")["label"]
    everyone = pd.Series("unknown", index=responses["respondent"].unique())
    groups = answers.reindex(everyone.index).fillna("unknown")
    present = set(groups)
    order = [o for o in item.options if o in present] + (
        ["unknown"] if "unknown" in present else []
    )
    return groups, order


def build_report(
    data: SurveyData,
    *,
    by: str = "group",
    covariates: tuple[str, ...] | list[str] = (),
    ordinal: bool = False,
    seed: int = 20240601,
) -> SurveyReport:
    """Distributions, tests and effect sizes for every item, scale and option."""
    instrument = data.instrument
    groups, order = _grouping(data, by)
    counts = groups.value_counts()
    report = SurveyReport(
        title=f"{instrument.title or instrument.name} by {by}"
        + (" (ILLUSTRATIVE instrument)" if instrument.illustrative else ""),
        instrument=instrument.name,
        illustrative=instrument.illustrative,
        by=by,
        groups={g: int(counts.get(g, 0)) for g in order},
    )
    tested = [g for g in order if g != "unknown"]
    for group in tested:
        if counts.get(group, 0) < MIN_GROUP_N:
            report.warnings.append(
                f"group {group!r} has {int(counts.get(group, 0))} respondents (fewer than "
                f"{MIN_GROUP_N}): its comparisons are fragile"
            )
    if len(tested) < 2:
        report.warnings.append(
            f"fewer than two known groups by {by!r}: only distributions are reported"
        )
    frame = data.responses.assign(by=data.responses["respondent"].map(groups))
    defining = _defining_items(instrument, by)
    for code in sorted(defining - {by}):
        report.warnings.append(
            f"item {code!r} defines the groups (the group rule reads it): it is not tested "
            "against them"
        )
    for item in instrument.items:
        if item.code == by:
            continue
        answers = frame[frame["item"] == item.code]
        report.items.append(
            {
                "code": item.code,
                "text": item.text or item.column,
                "type": item.type,
                "options": list(item.options),
                "neutral": item.neutral,
            }
        )
        _item_section(report, item, answers, order, [] if item.code in defining else tested, seed)
    for scale in instrument.scales:
        _scale_section(report, instrument, scale, frame, order, tested, seed)
    if ordinal:
        _ordinal_sections(report, instrument, frame, groups, tested, list(covariates))
    return report


def _defining_items(instrument: Instrument, by: str) -> set[str]:
    """The items that define the comparison's groups: the ``--by`` item, or, by user
    group, the items the group rule reads. Testing them against the groups they define
    only restates the rule (χ² at its maximum, V = 1)."""
    if by != "group":
        return {by}
    return set(instrument.groups.variables.values()) if instrument.groups is not None else set()


def _add(report: SurveyReport, item: str, text: str, result: TestResult) -> None:
    row = result.to_dict()
    if row["effect_size"] is None:
        row["p"] = row["p_adjusted"] = None
    row["warnings"] = "; ".join(row["warnings"])
    report.results.append({"item": item, "item_text": text, **row})


def _by_group(answers: pd.DataFrame, tested: list[str]) -> dict[str, list[float]]:
    return {
        g: answers.loc[answers["by"] == g, "value_num"].dropna().astype(float).tolist()
        for g in tested
    }


def _item_section(
    report: SurveyReport,
    item: Item,
    answers: pd.DataFrame,
    order: list[str],
    tested: list[str],
    seed: int,
) -> None:
    text = item.text or item.column
    if item.type in ("likert", "single"):
        for group in order:
            mine = answers[answers["by"] == group]
            n = len(mine)
            for option in item.options or sorted(mine["label"].dropna().unique()):
                count = int((mine["label"] == option).sum())
                report.distributions.append(
                    {
                        "item": item.code,
                        "group": group,
                        "answer": option,
                        "count": count,
                        "n": n,
                        "percent": 100 * count / n if n else None,
                    }
                )
    if item.type in ("likert", "numeric"):
        per_group = _by_group(answers, tested)
        if item.type == "numeric":
            for group in order:
                values = answers.loc[answers["by"] == group, "value_num"].dropna()
                report.distributions.append(
                    {
                        "item": item.code,
                        "group": group,
                        "answer": "median",
                        "n": len(values),
                        "median": float(values.median()) if len(values) else None,
                        "q1": float(values.quantile(0.25)) if len(values) else None,
                        "q3": float(values.quantile(0.75)) if len(values) else None,
                    }
                )
        if len(tested) >= 2:
            _add(report, item.code, text, kruskal_wallis(per_group, seed=seed))
            for result in pairwise_mann_whitney(per_group):
                _add(report, item.code, text, result)
    elif item.type == "single" and len(tested) >= 2:
        known = answers[answers["by"].isin(tested)]
        _add(
            report,
            item.code,
            text,
            chi_square(known["by"].tolist(), known["label"].tolist(), seed=seed),
        )
    elif item.type == "multi":
        _multi_section(report, item, answers, order, tested, seed)
    elif item.type == "text":
        for group in order:
            n = int(answers.loc[answers["by"] == group, "respondent"].nunique())
            report.distributions.append(
                {"item": item.code, "group": group, "answer": "(free text)", "count": n, "n": n}
            )


def _multi_section(
    report: SurveyReport,
    item: Item,
    answers: pd.DataFrame,
    order: list[str],
    tested: list[str],
    seed: int,
) -> None:
    options = [*item.options, *(["Other"] if item.other else [])]
    first_row = len(report.results)
    for option in options:
        chosen = answers[answers["value"] == option]
        for group in order:
            mine = chosen[chosen["by"] == group]
            n, k = len(mine), int((mine["value_num"] == 1).sum())
            low, high = wilson_interval(k, n)
            report.distributions.append(
                {
                    "item": item.code,
                    "group": group,
                    "answer": option,
                    "count": k,
                    "n": n,
                    "percent": 100 * k / n if n else None,
                    "ci_low": 100 * low if n else None,
                    "ci_high": 100 * high if n else None,
                }
            )
        known = chosen[chosen["by"].isin(tested)]
        if len(tested) >= 2 and len(known):
            result = chi_square(
                known["by"].tolist(),
                ["chosen" if v == 1 else "not chosen" for v in known["value_num"]],
                seed=seed,
            )
            result.comparison = f"option {option!r}"
            _add(report, item.code, item.text or item.column, result)
    tested_rows = [r for r in report.results[first_row:] if r["p"] is not None]
    for row, adjusted in zip(tested_rows, holm([r["p"] for r in tested_rows]), strict=True):
        row["p_adjusted"] = adjusted  # Holm across the options of one item


def scale_scores(instrument: Instrument, scale: Scale, frame: pd.DataFrame) -> pd.DataFrame:
    """Respondents × items of a scale, reverse-coded items flipped (min + max − score)."""
    wide = (
        frame[frame["item"].isin(scale.items)]
        .pivot_table(index="respondent", columns="item", values="value_num", aggfunc="first")
        .reindex(columns=list(scale.items))
    )
    for code in scale.items:
        item = instrument.item(code)
        if item.reverse:
            scores = [item.score(i) for i in range(len(item.options))]
            wide[code] = min(scores) + max(scores) - wide[code]
    return wide


def _scale_section(
    report: SurveyReport,
    instrument: Instrument,
    scale: Scale,
    frame: pd.DataFrame,
    order: list[str],
    tested: list[str],
    seed: int,
) -> None:
    wide = scale_scores(instrument, scale, frame)
    by = frame.groupby("respondent")["by"].first()
    label = scale.label or scale.name
    overall = cronbach_alpha(wide)
    overall.comparison = "all respondents"
    _add(report, f"scale:{scale.name}", label, overall)
    complete = wide.dropna()
    for group in order:
        members = complete[by.reindex(complete.index) == group]
        if len(members) >= 3:
            result = cronbach_alpha(members)
            result.comparison = group
            _add(report, f"scale:{scale.name}", label, result)
    if len(tested) >= 2:
        means = complete.mean(axis=1)
        per_group = {g: means[by.reindex(means.index) == g].tolist() for g in tested}
        _add(report, f"scale:{scale.name}", label, kruskal_wallis(per_group, seed=seed))
        for result in pairwise_mann_whitney(per_group):
            _add(report, f"scale:{scale.name}", label, result)


def _ordinal_sections(
    report: SurveyReport,
    instrument: Instrument,
    frame: pd.DataFrame,
    groups: pd.Series,
    tested: list[str],
    covariates: list[str],
) -> None:
    if len(tested) < 2:
        return
    predictors = pd.DataFrame(index=groups.index)
    for group in tested[1:]:
        predictors[f"{report.by}={group} (vs {tested[0]})"] = (groups == group).astype(float)
    predictors = predictors[groups.isin(tested)]
    for code in covariates:
        try:
            item = instrument.item(code)
        except KeyError:
            raise EarwitnessError(
                f"--covariate {code!r} is not an item of the instrument"
            ) from None
        answers = frame[frame["item"] == code].set_index("respondent")
        if item.type == "numeric":
            predictors[code] = answers["value_num"].reindex(predictors.index).astype(float)
        elif item.type == "single":
            labels = answers["label"].reindex(predictors.index)
            for option in item.options[1:]:
                column = (labels == option).astype(float)
                predictors[f"{code}={option}"] = column.where(labels.notna(), np.nan)
        elif item.type == "likert":
            predictors[code] = answers["value_num"].reindex(predictors.index).astype(float)
        else:
            raise EarwitnessError(f"--covariate {code!r}: use a numeric, single or Likert item")
    defining = _defining_items(instrument, report.by)
    for item in instrument.items:
        if item.type != "likert" or item.code in covariates or item.code in defining:
            continue
        outcome = (
            frame[frame["item"] == item.code]
            .set_index("respondent")["value_num"]
            .reindex(predictors.index)
        )
        for result in ordinal_regression(outcome.tolist(), predictors.reset_index(drop=True)):
            _add(report, item.code, item.text or item.column, result)
