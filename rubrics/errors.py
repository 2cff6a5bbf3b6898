"""The one error a wrong rubric raises: every problem, each at its path, each saying what to do."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rubric.

    `path` reads like `dimensions[2].criteria[0].max_points` (empty for the whole document),
    `code` is a stable machine-readable reason, `message` a sentence that says what to do.
    """

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(document)'}: {self.message}"


class RubricError(ValueError):
    """The rubric is wrong. Carries every problem found, not just the first."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"rubric {source} has {len(self.problems)} problem(s):\n{lines}")


def format_path(loc: tuple) -> str:
    """(`dimensions`, 2, `criteria`, 0, `max_points`) -> `dimensions[2].criteria[0].max_points`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# -- the same problems in Chinese ----------------------------------------------------------------
#
# `Problem.message` stays the English sentence the loader wrote. For the interface's default
# language every code has Chinese here: rules tried in order, each a pattern over the English
# message and a template filled from the pattern's named groups (a rule without pattern always
# applies), so the numbers, keys and paths the English names appear in the Chinese as well.

_Rule = tuple[str | None, str]

ZH_RULES: dict[str, tuple[_Rule, ...]] = {
    # reading the file
    "too_large": ((r"larger than (?P<n>\d+) KiB", "文件超过 {n} KiB 的上限;请拆分或精简后再上传。"),),
    "encoding": ((None, "文件不是 UTF-8 编码的文本;请另存为 UTF-8 编码后再上传。"),),
    "unreadable": (
        (r"cannot read the file: (?P<detail>.*)$", "无法读取文件({detail});请检查文件后重试。"),
        (None, "无法读取文件;请检查文件后重试。"),
    ),
    "yaml_syntax": (
        (
            r"^line (?P<line>\d+), column (?P<column>\d+): (?P<yaml>.*); fix the YAML at that place$",
            "YAML 格式有误,位于第 {line} 行第 {column} 列:{yaml};请修改该处。",
        ),
        (r"^(?P<yaml>.*); fix the YAML$", "YAML 格式有误:{yaml};请修改。"),
        (None, "YAML 格式有误;请修改。"),
    ),
    "yaml_character": (
        (
            r"character (?P<char>U\+[0-9A-F]+) at position (?P<position>\d+)",
            "第 {position} 个字符 {char} 不能出现在 YAML 中(空字符或其他控制字符);请删除该字符。",
        ),
        (None, "文件含有 YAML 不允许的控制字符;请删除。"),
    ),
    "not_a_mapping": ((None, "文件必须是一个 YAML 映射,包含 id、title、dimensions 等键。"),),
    "unknown_fragment": (
        (
            r"extends '(?P<name>[^']*)' names no fragment; use one of: (?P<options>.*)$",
            "extends 指定的片段“{name}”不存在;请使用以下之一:{options}。",
        ),
        (None, "extends 指定的片段不存在;请使用已有的片段名称。"),
    ),
    "extends_cycle": (
        (r"fragment '(?P<name>[^']*)' extends itself", "片段“{name}”循环继承了自身;请去掉循环的 extends。"),
        (None, "片段循环继承了自身;请去掉循环的 extends。"),
    ),
    "unknown_rubric": (
        (
            r"no shipped rubric is called '(?P<name>[^']*)'; choose one of: (?P<options>.*)$",
            "评分细则库中没有“{name}”;请从以下之一选择:{options}。",
        ),
        (None, "评分细则库中没有该评分细则。"),
    ),
    "id_mismatch": (
        (
            r"the file (?P<file>\S+) declares id '(?P<id>[^']*)'",
            "文件 {file} 声明的 id 是“{id}”,与文件名不一致;请使两者相同。",
        ),
        (None, "文件声明的 id 与文件名不一致;请使两者相同。"),
    ),
    # the document's shape (pydantic's own checks)
    "missing": ((None, "缺少必填字段;请补上该字段。"),),
    "extra_forbidden": (
        (r"unknown key '(?P<key>[^']*)'", "未知的键“{key}”;请删除该键或更正拼写。"),
        (None, "未知的键;请删除该键或更正拼写。"),
    ),
    "literal_error": (
        (r"Input should be (?P<options>.*?); use one of", "取值无效;请使用以下之一:{options}。"),
        (r"Input should be (?P<options>.*)$", "取值无效;请使用以下之一:{options}。"),
    ),
    "string_pattern_mismatch": (
        (r"pattern '\^\\d\{3\}\$'", "应为三位数字的规划编号(例如 002)。"),
        (r"pattern '\^\(criterion", "同分排序规则应写作 disagreement、criterion:<指标编号> 或 dimension:<维度编号>。"),
        (r"pattern '\^\[A-Za-z\]", "编号只能使用拉丁字母、数字和下划线,并以字母开头。"),
        (r"pattern '(?P<pattern>.*)'", "格式不符合要求(应匹配 {pattern});请修改。"),
    ),
    "decimal_max_places": ((r"no more than (?P<n>\d+) decimal place", "最多保留 {n} 位小数;请修改。"),),
    "decimal_max_digits": ((r"no more than (?P<n>\d+) digit", "数字总位数不能超过 {n} 位;请修改。"),),
    "decimal_whole_digits": ((r"no more than (?P<n>\d+) digit", "整数部分不能超过 {n} 位;请修改。"),),
    "greater_than": ((r"greater than (?P<n>\S+)$", "应大于 {n};请修改。"),),
    "greater_than_equal": ((r"greater than or equal to (?P<n>\S+)$", "应不小于 {n};请修改。"),),
    "less_than": ((r"less than (?P<n>\S+)$", "应小于 {n};请修改。"),),
    "less_than_equal": ((r"less than or equal to (?P<n>\S+)$", "应不大于 {n};请修改。"),),
    "multiple_of": ((r"multiple of (?P<n>\S+)$", "应为 {n} 的整数倍;请修改。"),),
    "finite_number": ((None, "应为有限的数字;请修改。"),),
    "too_short": (
        (r"at least (?P<n>\d+) item", "至少需要 {n} 项;请补充。"),
        (None, "项数不足;请补充。"),
    ),
    "too_long": (
        (r"at most (?P<n>\d+) item", "最多只能有 {n} 项;请删减。"),
        (None, "项数过多;请删减。"),
    ),
    "string_too_short": ((r"at least (?P<n>\d+) character", "至少需要 {n} 个字符;请填写。"),),
    "string_too_long": ((r"at most (?P<n>\d+) character", "最多 {n} 个字符;请删减。"),),
    "string_type": ((None, "应为文本;请修改。"),),
    "int_type": ((None, "应为整数;请修改。"),),
    "int_parsing": ((None, "应为整数;请修改。"),),
    "int_from_float": ((None, "应为整数,不能带小数;请修改。"),),
    "float_type": ((None, "应为数字;请修改。"),),
    "float_parsing": ((None, "应为数字;请修改。"),),
    "decimal_type": ((None, "应为数字;请修改。"),),
    "decimal_parsing": ((None, "应为数字;请修改。"),),
    "bool_type": ((None, "应为 true 或 false;请修改。"),),
    "bool_parsing": ((None, "应为 true 或 false;请修改。"),),
    "list_type": ((None, "应为列表(每一项以“- ”开头);请修改。"),),
    "tuple_type": ((None, "应为列表(每一项以“- ”开头);请修改。"),),
    "dict_type": ((None, "应为映射(“键: 值”的形式);请修改。"),),
    "model_type": ((None, "应为映射(“键: 值”的形式);请修改。"),),
    "model_attributes_type": ((None, "应为映射(“键: 值”的形式);请修改。"),),
    "none_required": ((None, "此处应留空;请删除该值。"),),
    # the rubric's own rules
    # citations checked against the plan texts
    "unknown_seed": (
        (
            r"seed '(?P<seed>[^']*)' is not one of (?P<options>.*)$",
            "规划编号“{seed}”不存在;请使用以下之一:{options}。",
        ),
        (None, "规划编号不存在;请使用已收录的规划编号。"),
    ),
    "quote_not_found": (
        (
            r"quote '(?P<quote>.*)' does not occur in (?P<file>\S+); copy it verbatim",
            "引文“{quote}”在 {file} 中找不到;请逐字复制规划原文。",
        ),
        (None, "引文在规划原文中找不到;请逐字复制规划原文。"),
    ),
    "schema_version": (
        (
            r"schema_version (?P<value>\S+) is not supported; this release reads schema_version (?P<known>\S+)",
            "不支持 schema_version {value};当前版本只能读取 schema_version {known}。",
        ),
    ),
    "source_kind": (
        (
            None,
            "出处要么是规划条款(seed、clause、quote 三项),要么是后续通知(document、note 两项);请完整填写其中一种。",
        ),
    ),
    "choice_without_choices": ((None, "选择型(choice)指标需要提供 choices 选项列表。"),),
    "choices_on_non_choice": ((None, "只有选择型(choice)指标才能设置 choices。"),),
    "bounds_on_non_number": ((None, "只有数值型指标才能设置 min/max。"),),
    "bounds_order": ((None, "min 必须小于 max;请修改。"),),
    "linear_shape": ((None, "线性公式(linear)需要 floor 和 target,且不能有 steps。"),),
    "steps_shape": ((None, "阶梯公式(steps)需要非空的 steps 列表,且不能有 floor 和 target。"),),
    "thresholds_not_monotonic": (
        (r"`target` must be greater than `floor`", "target 必须大于 floor(阈值应递增);请修改。"),
        (r"steps must have", "steps 中的 at 必须严格递增,fraction 不得递减;请修改。"),
        (None, "阈值必须递增;请修改。"),
    ),
    "formula_missing": ((None, "按公式计分(method: formula)的指标需要填写 formula。"),),
    "formula_on_judged": ((None, "专家评分的指标不能带 formula;如需按公式计分,请设置 method: formula。"),),
    "step_not_divisor": ((None, "max_points 必须是 step 的整数倍;请修改。"),),
    "range_order": ((r"each of (?P<what>\w+) must have min below max", "{what}中每一档的下限都必须小于上限;请修改。"),),
    "range_gap": (
        (
            r"^(?P<what>\w+) start at (?P<start>\S+), leaving a gap from (?P<low>\S+);",
            "{what}从 {start} 开始,{low} 至 {start} 之间没有覆盖;最低一档必须从 {low} 开始。",
        ),
        (
            r"^(?P<what>\w+) leave a gap between (?P<hi>\S+) and (?P<lo>\S+);",
            "{what}在 {hi} 与 {lo} 之间有空档;请让每一档从上一档结束处开始。",
        ),
        (
            r"^(?P<what>\w+) end at (?P<end>\S+) but must reach (?P<high>\S+)$",
            "{what}止于 {end},但必须覆盖到 {high};请修改最高一档的上限。",
        ),
        (None, "各档之间有空档;请让每一档从上一档结束处开始。"),
    ),
    "range_overlap": (
        (
            r"^(?P<what>\w+) overlap between (?P<lo>\S+) and (?P<hi>\S+);",
            "{what}在 {lo} 与 {hi} 之间重叠;请让每一档从上一档结束处开始。",
        ),
        (None, "各档之间有重叠;请让每一档从上一档结束处开始。"),
    ),
    "duplicate_id": (
        (
            r"^id '(?P<value>[^']*)' repeats the id at (?P<first>\S+) ",
            "编号“{value}”与 {first} 处的编号重复(比较时不区分大小写、空白和 Unicode 写法);请为每一项使用不同的编号。",
        ),
        (None, "编号重复(比较时不区分大小写、空白和 Unicode 写法);请为每一项使用不同的编号。"),
    ),
    "points_sum": (
        (
            r"add up to (?P<sum>\S+) but the dimension declares (?P<declared>\S+);",
            "该维度下各指标满分合计为 {sum},但维度声明的满分是 {declared};请调整某项指标或该维度的 max_points。",
        ),
        (
            r"add up to (?P<sum>\S+) but total_points is (?P<total>\S+);",
            "各维度指标满分合计为 {sum},但 total_points 为 {total};请调整某项指标的 max_points 或 total_points。",
        ),
        (None, "各指标满分之和与声明的满分不一致;请调整。"),
    ),
    "unknown_indicator": (
        (
            r"indicator '(?P<name>[^']*)', which the rubric does not declare; add it under `indicators` or use one "
            r"of: (?P<options>.*)$",
            "公式使用的指标“{name}”未在 indicators 中声明;请在 indicators 中添加,或改用以下之一:{options}。",
        ),
        (None, "公式使用的指标未在 indicators 中声明;请添加该指标。"),
    ),
    "formula_on_non_number": (
        (
            r"indicator '(?P<name>[^']*)' of type (?P<type>\w+);",
            "公式使用的指标“{name}”是 {type} 类型;请使用数值型指标。",
        ),
        (None, "公式只能使用数值型指标。"),
    ),
    "unknown_tie_break": (
        (
            r"^tie-break '(?P<rule>[^']*)' names no (?P<kind>\w+) of this rubric; use one of: (?P<options>.*)$",
            "同分排序规则“{rule}”指向的{kind}不存在;请使用以下之一:{options}。",
        ),
        (None, "同分排序规则指向的指标或维度不存在。"),
    ),
}
ZH_UNKNOWN = "评分细则此处有误({message});请修改。"
_WORDS_ZH = {
    "bands": "推荐档次(bands)",
    "levels": "评分等级(levels)",
    "criterion": "指标",
    "dimension": "维度",
    "(none declared)": "(尚未声明任何指标)",
}
_YAML_ZH: tuple[tuple[str, str], ...] = (
    (
        r"^key '(?P<key>[^']*)' appears twice in one mapping \(first on line (?P<first>\d+)\)$",
        "键“{key}”在同一映射中出现了两次(第一次在第 {first} 行)",
    ),
    (r"^a mapping key must be a plain name, not a list or mapping$", "映射的键必须是简单名称,不能是列表或映射"),
    (
        r"^mapping values are not allowed here$",
        "此处不能出现“键: 值”(常见原因:冒号后缺少空格、缩进不一致,或文字中含有未加引号的冒号)",
    ),
    (r"^could not find expected ':'$", "找不到应有的冒号“:”"),
    (r"^found character '(?P<char>.*)' that cannot start any token$", "此处不能出现字符“{char}”(缩进不能使用制表符)"),
    (r"^expected <block end>, but found '(?P<token>.*)'$", "缩进不一致(此处出现了“{token}”)"),
    (
        r"^expected '(?P<first>[^']*)' or '(?P<second>[^']*)', but got '(?P<got>.*)'$",
        "此处应为“{first}”或“{second}”,却出现了“{got}”(括号可能没有闭合)",
    ),
    (r"^did not find expected key$", "找不到应有的键(通常是缩进不一致)"),
    (r"^did not find expected '-' indicator$", "找不到应有的列表符号“-”(通常是缩进不一致)"),
    (r"^found unexpected end of stream$", "文件意外结束(引号或括号没有闭合)"),
    (r"^found unknown escape character.*$", "含有无法识别的转义字符"),
    (r"^found undefined alias.*$", "引用了未定义的别名(*)"),
    (
        r"^the alias \*(?P<name>\S+) repeats an anchor;.*$",
        "别名 *{name} 引用了锚点;评分细则不接受锚点(&)和别名(*),请直接写出内容(共用的评分等级请使用 default_levels)",
    ),
    (
        r"^the document is nested more than (?P<n>\d+) levels deep;.*$",
        "文件嵌套超过 {n} 层;评分细则不需要这么深的嵌套",
    ),
    (
        r"^could not determine a constructor for the tag '(?P<tag>[^']*)'$",
        "不支持类型标签“{tag}”;评分细则只能使用普通的文本、数字、列表和映射,请删除该标签",
    ),
)


def _fill(template: str, groups: dict[str, str]) -> str:
    values = {}
    for name, value in groups.items():
        if name == "yaml":
            value = _yaml_zh(value)
        elif name == "options" and "'" in value:  # a Python list of choices: 'a', 'b' or 'c'
            value = "、".join(re.findall(r"'([^']*)'", value))
        values[name] = _WORDS_ZH.get(value, value) if name in ("what", "kind", "options") else value
    return template.format(**values)


def _yaml_zh(detail: str) -> str:
    for pattern, template in _YAML_ZH:
        found = re.match(pattern, detail)
        if found:
            return template.format(**found.groupdict())
    return detail  # PyYAML's wording for rare cases; the line and column still point at the place


def chinese(problem: Problem) -> str:
    """The problem's message in Chinese, with the same specifics (keys, numbers, paths) as the English."""
    for pattern, template in ZH_RULES.get(problem.code, ()):
        if pattern is None:
            return template
        found = re.search(pattern, problem.message)
        if found:
            return _fill(template, found.groupdict())
    return ZH_UNKNOWN.format(message=problem.message)


def message_in(problem: Problem, lang: str) -> str:
    """The problem's message in the interface language: English as written, Chinese from `ZH_RULES`."""
    return problem.message if lang == "en" else chinese(problem)


def located(problem: Problem, lang: str) -> str:
    """Where the problem is, for a reader: the path, or the whole document when it has none."""
    if problem.path:
        return problem.path
    return "(document)" if lang == "en" else "(整个文件)"
