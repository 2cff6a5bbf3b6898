"""Submissions: what applicants and reviewers send in, and whether it fits its rubric."""

from submissions.contracts import Application, ScoreSheet, SelfAssessment, SheetEntry
from submissions.errors import FieldProblem, SubmissionError, raise_if_problems
from submissions.validation import check_application, check_score_sheet, check_self_assessment

__all__ = [
    "Application",
    "FieldProblem",
    "ScoreSheet",
    "SelfAssessment",
    "SheetEntry",
    "SubmissionError",
    "check_application",
    "check_score_sheet",
    "check_self_assessment",
    "raise_if_problems",
]
