"""Does a submission fit its rubric? One pure function per contract, returning every problem.

Each function reads the submission and the rubric, changes neither, and returns a list of
`FieldProblem` (empty when the submission fits) in a stable order: the rubric's order first, then
ids the rubric does not know in the order they were given. Pass the list to `raise_if_problems`
to turn it into a `SubmissionError`. Messages name each field by its rubric label, in Chinese and
in English, and say what to do.

Numbers (see `submissions.contracts` for how text becomes a number): points must be finite, within
0 and the criterion's maximum, written with at most two decimal places (the rubric's own points
have two) and on the criterion's step; points that are not numbers at all (`NotANumber`: text,
blank, None) are named as such. Indicator values must be finite JSON numbers (an integer that no
float can hold counts as not finite), whole for `int` indicators, within the bounds; a blank text
is named as blank rather than as "not a number".
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal

from rubrics.credit_code import ALPHABET, check_character
from rubrics.credit_code import problem as credit_code_problem
from rubrics.schema import Criterion, Indicator, Rubric
from submissions.contracts import Application, NotANumber, ScoreSheet, SelfAssessment
from submissions.errors import FieldProblem, SubmissionError, raise_if_problems

__all__ = [
    "FieldProblem",
    "SubmissionError",
    "check_application",
    "check_score_sheet",
    "check_self_assessment",
    "raise_if_problems",
]


# -- applications --------------------------------------------------------------------------------


def check_application(app: Application, rubric: Rubric) -> list[FieldProblem]:
    """Problems with `app` under `rubric`: rubric and category, indicators, credit code, declarations."""
    problems: list[FieldProblem] = []
    if app.rubric_id != rubric.id:
        problems.append(
            FieldProblem(
                "rubric_id",
                "rubric_mismatch",
                f"申报书对应的评分细则“{app.rubric_id}”与本次评审使用的“{rubric.title.zh}”({rubric.id})"
                "不一致;请按本次评审的评分细则填报。",
                f"The application is for rubric “{app.rubric_id}”, but this review uses "
                f"“{rubric.title.en}” ({rubric.id}); fill in the application for this review's rubric.",
            )
        )
    if app.category not in {c.id for c in rubric.categories}:
        problems.append(
            FieldProblem(
                "category",
                "unknown_category",
                f"申报类别“{app.category}”不在本评分细则的类别中;请从以下类别中选择:"
                + "、".join(f"{c.label.zh}({c.id})" for c in rubric.categories)
                + "。",
                f"Category “{app.category}” is not one of this rubric's categories; choose one of: "
                + ", ".join(f"{c.label.en} ({c.id})" for c in rubric.categories)
                + ".",
            )
        )
    problems += _indicator_problems(app.indicators, rubric)
    problems += _credit_code_problems(app.credit_code)
    problems += _declaration_problems(app.declarations, rubric)
    known_criteria = {c.id for c in rubric.criteria}
    for collection in ("narratives", "evidence"):
        problems += [
            _unknown(collection, cid, "评分项", "criterion", known_criteria)
            for cid in getattr(app, collection)
            if cid not in known_criteria
        ]
    return problems


def _indicator_problems(values: Mapping[str, object], rubric: Rubric) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for ind in rubric.indicators:
        value = values.get(ind.id)
        if value is None:
            if ind.required:
                problems.append(
                    FieldProblem(
                        f"indicators.{ind.id}",
                        "missing_indicator",
                        f"“{ind.label.zh}”为必填项,尚未填写;请填写。",
                        f"“{ind.label.en}” is required but missing; enter a value.",
                    )
                )
            continue
        problem = _indicator_type_problem(ind, value) or _indicator_bounds_problem(ind, value)
        if problem:
            problems.append(problem)
    known = {i.id for i in rubric.indicators}
    problems += [_unknown("indicators", iid, "指标", "indicator", known) for iid in values if iid not in known]
    return problems


def _indicator_type_problem(ind: Indicator, value: object) -> FieldProblem | None:
    field = f"indicators.{ind.id}"
    zh, en = ind.label.zh, ind.label.en
    if isinstance(value, str) and not value.strip():
        return FieldProblem(
            field,
            "blank_indicator",
            f"“{zh}”填写的是空白;请填写实际的值,不需要时删除该项。",
            f"“{en}” is blank; enter the actual value, or leave the indicator out.",
        )
    if ind.type == "bool":
        if isinstance(value, bool):
            return None
        return FieldProblem(
            field,
            "not_a_boolean",
            f"“{zh}”应回答“是”或“否”,而填写的是{_show(value)};请选择“是”或“否”。",
            f"“{en}” must be yes or no (true/false), not {_show(value)}; choose yes or no.",
        )
    if ind.type == "choice":
        choices = ind.choices or []
        if isinstance(value, str) and value in {c.value for c in choices}:
            return None
        return FieldProblem(
            field,
            "unknown_choice",
            f"“{zh}”的取值{_show(value)}不是可选项;请从以下选项中选择:"
            + "、".join(f"{c.label.zh}({c.value})" for c in choices)
            + "。",
            f"“{en}” cannot be {_show(value)}; choose one of: "
            + ", ".join(f"{c.label.en} ({c.value})" for c in choices)
            + ".",
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        return FieldProblem(
            field,
            "not_a_number",
            f"“{zh}”应填写数字,而填写的是{_show(value)};请填写数字。",
            f"“{en}” must be a number, not {_show(value)}; enter a number.",
        )
    if not _finite(value):
        return FieldProblem(
            field,
            "not_finite",
            f"“{zh}”应为有限数值,而填写的是{_show(value)};请填写实际数值。",
            f"“{en}” must be a finite number, not {_show(value)}; enter the actual value.",
        )
    if ind.type == "int" and not float(value).is_integer():
        return FieldProblem(
            field,
            "not_an_integer",
            f"“{zh}”应为整数,而填写的是{_show(value)};请填写整数。",
            f"“{en}” must be a whole number, not {_show(value)}; enter a whole number.",
        )
    return None


def _finite(value: int | float) -> bool:
    """A float that is not NaN or infinite, or an integer that a float can hold (the engine computes in floats)."""
    if isinstance(value, int):
        return abs(value) <= _FLOAT_MAX
    return math.isfinite(value)


_FLOAT_MAX = int(sys.float_info.max)


def _indicator_bounds_problem(ind: Indicator, value: object) -> FieldProblem | None:
    if ind.type in ("bool", "choice"):
        return None
    assert isinstance(value, int | float)
    low, high = ind.min, ind.max
    if (low is None or value >= low) and (high is None or value <= high):
        return None
    unit = ind.unit or ("%" if ind.type == "percent" else "")
    lo_zh, hi_zh = _with_unit(low, unit, "zh"), _with_unit(high, unit, "zh")
    lo_en, hi_en = _with_unit(low, unit, "en"), _with_unit(high, unit, "en")
    got_zh, got_en = _with_unit(value, unit, "zh"), _with_unit(value, unit, "en")
    zh, en = ind.label.zh, ind.label.en
    if low is not None and high is not None:
        rule_zh, rule_en = (
            f"应在{lo_zh}至{hi_zh}之间(含两端)",
            f"must be between {lo_en} and {hi_en} (inclusive)",
        )
    elif low is not None:
        rule_zh, rule_en = f"不得小于{lo_zh}", f"must be at least {lo_en}"
    else:
        rule_zh, rule_en = f"不得大于{hi_zh}", f"must be at most {hi_en}"
    return FieldProblem(
        f"indicators.{ind.id}",
        "out_of_range",
        f"“{zh}”{rule_zh},而填写的是{got_zh};请核对并填写该范围内的数值。",
        f"“{en}” {rule_en}, not {got_en}; check it and enter a value in that range.",
    )


def _credit_code_problems(code: str) -> list[FieldProblem]:
    english = credit_code_problem(code)
    if english is None:
        return []
    # `problem` explains in English only; the same four cases, in the same order, in Chinese.
    # Its sentences about presence and length name the field and state the rule, but not the remedy.
    remedy = ""
    if not code:
        kind, zh = "missing", "统一社会信用代码未填写;请填写18位统一社会信用代码。"
        remedy = "; enter the 18-character code"
    elif len(code) != 18:
        kind, zh = "length", f"统一社会信用代码应为18位,而填写的是{len(code)}位;请核对后重新填写。"
        remedy = "; check the code and enter all 18 characters"
    elif bad := "".join(sorted({c for c in code if c not in ALPHABET})):
        kind, zh = (
            "characters",
            f"统一社会信用代码含有无效字符“{bad}”;只能使用数字和大写字母{ALPHABET[10:]}"
            "(不含I、O、S、V、Z),请核对后重新填写。",
        )
    else:
        kind = "check"
        zh = f"统一社会信用代码的校验码应为“{check_character(code[:17])}”,而不是“{code[17]}”;请核对代码。"
    return [
        FieldProblem(
            "credit_code",
            f"credit_code_{kind}",
            zh,
            _english_credit_code_message(english + remedy),
        )
    ]


def _english_credit_code_message(sentence: str) -> str:
    if sentence.startswith("the unified social credit code"):
        return sentence[0].upper() + sentence[1:] + "."
    return f"Unified social credit code: {sentence}."


def _declaration_problems(answers: Mapping[str, bool], rubric: Rubric) -> list[FieldProblem]:
    asked = [(g.id, g.label) for g in rubric.gates if g.check == "declared"]
    asked += [(v.id, v.label) for v in rubric.vetoes]
    problems = [
        FieldProblem(
            f"declarations.{did}",
            "missing_declaration",
            f"声明事项“{label.zh}”尚未回答;请选择“是”或“否”。",
            f"The declaration “{label.en}” is unanswered; answer yes or no.",
        )
        for did, label in asked
        if did not in answers
    ]
    known = {did for did, _ in asked}
    problems += [_unknown("declarations", did, "声明事项", "declaration", known) for did in answers if did not in known]
    return problems


# -- points: self-assessments and score sheets ---------------------------------------------------

POINTS_DECIMALS = 2  # as many as the rubric's own points and steps may have


def check_self_assessment(sa: SelfAssessment, rubric: Rubric) -> list[FieldProblem]:
    """Problems with the applicant's own points: every judged main criterion, each within its range."""
    return _points_problems(
        sa.points,
        rubric,
        complete=True,
        entry_field=lambda cid: f"points.{cid}",
        points_field=lambda cid: f"points.{cid}",
        collection="points",
    )


def check_score_sheet(sheet: ScoreSheet, rubric: Rubric, *, min_comment_length: int = 0) -> list[FieldProblem]:
    """Problems with a reviewer's sheet.

    A draft may leave criteria out; a submitted sheet must score every judged main criterion (bonus
    items stay optional) and carry a comment of at least `min_comment_length` characters, not
    counting surrounding whitespace, on every entry.
    """
    if min_comment_length < 0:
        raise ValueError(f"min_comment_length must be 0 or more, not {min_comment_length}")
    submitted = sheet.status == "submitted"
    problems = _points_problems(
        {cid: entry.points for cid, entry in sheet.entries.items()},
        rubric,
        complete=submitted,
        entry_field=lambda cid: f"entries.{cid}",
        points_field=lambda cid: f"entries.{cid}.points",
        collection="entries",
    )
    if submitted and min_comment_length:
        # Computed criteria are already reported as such; only judged ones need a comment.
        labels = {c.id: c.label for c in rubric.criteria if c.method == "judged"}
        for cid, entry in sheet.entries.items():
            length = len(entry.comment.strip())
            if cid in labels and length < min_comment_length:
                problems.append(
                    FieldProblem(
                        f"entries.{cid}.comment",
                        "comment_too_short",
                        f"“{labels[cid].zh}”的评语至少需要{min_comment_length}个字,目前只有{length}个字;"
                        "请补充评语后再提交。",
                        f"The comment on “{labels[cid].en}” needs at least {min_comment_length} "
                        f"characters but has {length}; add to it before submitting.",
                    )
                )
    return problems


def _points_problems(
    points: Mapping[str, Decimal],
    rubric: Rubric,
    *,
    complete: bool,
    entry_field: Callable[[str], str],
    points_field: Callable[[str], str],
    collection: str,
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    bonus = rubric.bonus_ids
    for c in rubric.criteria:
        given = points.get(c.id)
        if given is None:
            if complete and c.method == "judged" and c.id not in bonus:
                problems.append(
                    FieldProblem(
                        entry_field(c.id),
                        "missing_criterion",
                        f"“{c.label.zh}”尚未打分;请填写0至{_num(c.max_points)}分。",
                        f"“{c.label.en}” has no points yet; enter 0 to {_num(c.max_points)} points.",
                    )
                )
        elif c.method == "formula":
            problems.append(
                FieldProblem(
                    entry_field(c.id),
                    "computed_criterion",
                    f"“{c.label.zh}”由申报指标自动计算得分,无需打分;请删除该项。",
                    f"“{c.label.en}” is computed from the reported indicators, not scored by hand; remove it.",
                )
            )
        else:
            problem = _value_problem(c, given, points_field(c.id))
            if problem:
                problems.append(problem)
    known = {c.id for c in rubric.criteria}
    judged = {c.id for c in rubric.criteria if c.method == "judged"}
    problems += [
        _unknown(collection, cid, "评分项", "criterion", judged, field=entry_field(cid))
        for cid in points
        if cid not in known
    ]
    return problems


def _value_problem(c: Criterion, value: Decimal, field: str) -> FieldProblem | None:
    top = _num(c.max_points)
    if isinstance(value, NotANumber):
        if not value.strip():
            return FieldProblem(
                field,
                "blank_points",
                f"“{c.label.zh}”的分数未填写(空白);请填写0至{top}分。",
                f"“{c.label.en}” has no points (the value is blank); enter 0 to {top} points.",
            )
        return FieldProblem(
            field,
            "not_a_number",
            f"“{c.label.zh}”的分数应为数字,而填写的是{_show(str(value))};请填写0至{top}分。",
            f"“{c.label.en}” needs a number of points, not {_show(str(value))}; enter 0 to {top} points.",
        )
    if not value.is_finite():
        return FieldProblem(
            field,
            "not_finite",
            f"“{c.label.zh}”的分数应为有限数值,而填写的是{_num(value)};请填写0至{top}分。",
            f"“{c.label.en}” needs a finite number of points, not {_num(value)}; enter 0 to {top} points.",
        )
    if not 0 <= value <= c.max_points:
        return FieldProblem(
            field,
            "out_of_range",
            f"“{c.label.zh}”的分数应在0至{top}分之间(含两端),而填写的是{_num(value)};请调整分数。",
            f"“{c.label.en}” takes 0 to {top} points (inclusive), not {_num(value)}; change the points.",
        )
    if value != value.quantize(Decimal(1).scaleb(-POINTS_DECIMALS)):
        return FieldProblem(
            field,
            "too_many_decimals",
            f"“{c.label.zh}”的分数最多保留{POINTS_DECIMALS}位小数,而填写的是{_num(value)};请调整分数。",
            f"“{c.label.en}” takes points with at most {POINTS_DECIMALS} decimal places, not {_num(value)}; "
            "change the points.",
        )
    if c.step is not None and value % c.step != 0:
        lower = (value // c.step) * c.step
        upper = lower + c.step
        step = _num(c.step)
        return FieldProblem(
            field,
            "off_step",
            f"“{c.label.zh}”的分数须为{step}分的整数倍,而填写的是{_num(value)};请改为{_num(lower)}或{_num(upper)}。",
            f"“{c.label.en}” is scored in steps of {step} points, so {_num(value)} is not allowed; "
            f"use {_num(lower)} or {_num(upper)}.",
        )
    return None


# -- shared helpers ------------------------------------------------------------------------------


def _unknown(
    collection: str, key: str, what_zh: str, what_en: str, known: set[str], *, field: str | None = None
) -> FieldProblem:
    listed = ", ".join(sorted(known)) or "—"
    return FieldProblem(
        field or f"{collection}.{key}",
        f"unknown_{what_en}",
        f"本评分细则没有编号为“{key}”的{what_zh};请删除该项或更正编号(可用编号:{listed})。",
        f"“{key}” is not a known {what_en} id in this rubric; remove it or correct the id (known ids: {listed}).",
    )


def _num(value: float | Decimal) -> str:
    """A number as a reader writes it: `10`, `0.5`, `1000000`; non-finite and huge values as-is."""
    if isinstance(value, Decimal):
        if value.is_finite() and (value.is_zero() or Decimal("1E-12") <= abs(value) < 10**15):
            return format(value.normalize(), "f")
        text = str(value)
        return text if len(text) <= 24 else format(value, ".6E")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _with_unit(value: float | None, unit: str, lang: str) -> str:
    text = _num(value) if value is not None else ""
    if not unit:
        return text
    return f"{text}{unit}" if lang == "zh" or unit == "%" else f"{text} {unit}"


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"“{value[:40]}”" + ("…" if len(value) > 40 else "")
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, int) and abs(value) >= 10**24:
        # str() of an integer of thousands of digits is refused by Python itself; its size says enough.
        return f"{'-' if value < 0 else ''}≈10^{int(abs(value).bit_length() * math.log10(2))}"
    return str(value)
