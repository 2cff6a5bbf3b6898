"""Rubrics: declared as YAML data, validated by pydantic models, each rule citing its plan clause."""

from rubrics.errors import Problem, RubricError
from rubrics.loader import content_hash, list_rubrics, load_rubric, load_rubric_file, load_rubric_text
from rubrics.schema import SCHEMA_VERSION, Criterion, Rubric

__all__ = [
    "SCHEMA_VERSION",
    "Criterion",
    "Problem",
    "Rubric",
    "RubricError",
    "content_hash",
    "list_rubrics",
    "load_rubric",
    "load_rubric_file",
    "load_rubric_text",
]
