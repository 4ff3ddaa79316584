"""earwitness.survey: questionnaire import and analysis by user group.

Read an export (Microsoft Forms, Google Forms, Qualtrics, LimeSurvey) with
:func:`read_export`, describe the questionnaire in an instrument YAML
(:func:`load_instrument`, or draft one with :func:`infer_instrument`), store it with
:func:`import_file` (personal columns left behind, respondents pseudonymised, free
text masked) and compare answers across user groups with :func:`build_report`.
"""

from __future__ import annotations

from earwitness.survey._coding import CodedRespondent, CodedResponse, code_export, coded_frame
from earwitness.survey._import import ImportResult, import_export, import_file
from earwitness.survey._infer import draft_yaml, infer_instrument
from earwitness.survey._instrument import (
    ANCHOR_SETS,
    QUESTION_TYPES,
    AnswerGroupRules,
    Instrument,
    Item,
    Scale,
    instrument_from_dict,
    load_instrument,
)
from earwitness.survey._readers import FORMATS, ExportColumn, SurveyExport, read_export
from earwitness.survey._report import SurveyData, SurveyReport, build_report, load_responses
from earwitness.survey._stats import (
    TestResult,
    chi_square,
    cronbach_alpha,
    holm,
    kruskal_wallis,
    mann_whitney,
    ordinal_regression,
    pairwise_mann_whitney,
    wilson_interval,
)

__all__ = [
    "ANCHOR_SETS",
    "FORMATS",
    "QUESTION_TYPES",
    "AnswerGroupRules",
    "CodedRespondent",
    "CodedResponse",
    "ExportColumn",
    "ImportResult",
    "Instrument",
    "Item",
    "Scale",
    "SurveyData",
    "SurveyExport",
    "SurveyReport",
    "TestResult",
    "build_report",
    "chi_square",
    "code_export",
    "coded_frame",
    "cronbach_alpha",
    "draft_yaml",
    "holm",
    "import_export",
    "import_file",
    "infer_instrument",
    "instrument_from_dict",
    "kruskal_wallis",
    "load_instrument",
    "load_responses",
    "mann_whitney",
    "ordinal_regression",
    "pairwise_mann_whitney",
    "read_export",
    "wilson_interval",
]
