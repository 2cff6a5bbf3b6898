"""Load rubrics: the shipped library under `rubrics/data/` and user-supplied YAML.

A rubric file may say `extends: <fragment>` to start from a shared fragment (a file under
`rubrics/data/fragments/`, which may itself extend another). The fragment's lists `indicators`,
`dimensions`, `gates`, `vetoes` and `sources` come first and the rubric's own entries follow; any
other key the rubric sets replaces the fragment's. `default_levels` gives every judged criterion
without `levels` the shared 优/良/中/差 descriptors. The merged document is then validated as a
whole, so a shared core is written once and checked in every rubric that uses it.

Uploaded YAML is untrusted. It is read with PyYAML's safe loader (no Python tags: `!!python/object`
and any other unknown tag is a problem at its line), at most `MAX_YAML_BYTES`, with no key repeated
in a mapping, nested at most `MAX_YAML_DEPTH` levels (deeper nesting would exhaust the parser's
recursion), and without aliases: `*name` is refused at its line, which also rules out the
"billion laughs" document whose aliases multiply into millions of nodes. Shared content is written
with `extends:` and `default_levels` instead.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rubrics.errors import Problem, RubricError, format_path
from rubrics.schema import Rubric

DATA_DIR = Path(__file__).with_name("data")
FRAGMENT_DIR = DATA_DIR / "fragments"
MAX_YAML_BYTES = 512 * 1024
MAX_YAML_DEPTH = 40  # the shipped rubrics nest 8 levels
_CONCATENATED = ("indicators", "dimensions", "gates", "vetoes", "sources")


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that refuses a key repeated in one mapping (YAML would keep the last silently),
    aliases, and nesting deeper than `MAX_YAML_DEPTH`."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                f"the alias *{event.anchor} repeats an anchor; anchors and aliases are not accepted in a rubric, "
                "so write the values out (use default_levels for shared level descriptors)",
                event.start_mark,
            )
        if self._depth >= MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"the document is nested more than {MAX_YAML_DEPTH} levels deep; a rubric needs far fewer",
                event.start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain name, not a list or mapping", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key {key!r} appears twice in one mapping (first on line {seen[key].line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, source: str) -> dict:
    """YAML text -> mapping, or RubricError naming the line and what to fix."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise RubricError(
            source,
            [
                Problem(
                    "",
                    "too_large",
                    f"the file is larger than {MAX_YAML_BYTES // 1024} KiB; split it or shorten it",
                )
            ],
        )
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise RubricError(
            source,
            [Problem("", "yaml_syntax", f"{line}{exc.problem or exc}; fix the YAML at that place")],
        ) from None
    except yaml.reader.ReaderError as exc:
        raise RubricError(
            source,
            [
                Problem(
                    "",
                    "yaml_character",
                    f"character U+{exc.character:04X} at position {exc.position + 1} is not allowed in YAML "
                    "(NUL and other control characters); remove it",
                ),
            ],
        ) from None
    except yaml.YAMLError as exc:
        raise RubricError(source, [Problem("", "yaml_syntax", f"{exc}; fix the YAML")]) from None
    if not isinstance(document, dict):
        raise RubricError(
            source,
            [
                Problem(
                    "",
                    "not_a_mapping",
                    "the file must be a YAML mapping with keys such as id, title, dimensions",
                )
            ],
        )
    return document


def _merge(base: dict, child: dict) -> dict:
    merged = dict(base)
    for key, value in child.items():
        if key in _CONCATENATED and isinstance(value, list) and isinstance(base.get(key), list):
            merged[key] = [*base[key], *value]
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def _resolve_extends(document: dict, source: str, seen: tuple[str, ...] = ()) -> dict:
    name = document.get("extends")
    if name is None:
        return document
    child = {k: v for k, v in document.items() if k != "extends"}
    fragments = sorted(p.stem for p in FRAGMENT_DIR.glob("*.yaml"))
    if not isinstance(name, str) or name not in fragments:
        raise RubricError(
            source,
            [
                Problem(
                    "extends",
                    "unknown_fragment",
                    f"extends {name!r} names no fragment; use one of: {', '.join(fragments)}",
                )
            ],
        )
    if name in seen:
        raise RubricError(source, [Problem("extends", "extends_cycle", f"fragment {name!r} extends itself")])
    base = parse_yaml((FRAGMENT_DIR / f"{name}.yaml").read_text("utf-8"), f"fragment {name}")
    base = _resolve_extends(base, source, (*seen, name))
    return _merge(base, child)


_HINTS = {
    "missing": "add this field",
    "extra_forbidden": "remove this key or correct its spelling",
    "literal_error": "use one of the listed values",
    "string_pattern_mismatch": "ids use Latin letters, digits and underscores and start with a letter",
    "decimal_max_places": "use at most two decimal places",
}


def _problems_from(error: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for item in error.errors():
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        ctx = item.get("ctx") or {}
        if item["type"] == "rubric_rules":
            for sub_loc, code, message in ctx["problems"]:
                problems.append(Problem(format_path((*loc, *sub_loc)), code, message))
            continue
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}"
        hint = _HINTS.get(item["type"])
        if hint:
            message = f"{message}; {hint}"
        problems.append(Problem(format_path(loc), item["type"], message))
    return problems


def _apply_default_levels(document: dict) -> dict:
    """`default_levels` gives judged criteria that declare no `levels` the shared descriptors."""
    document = dict(document)
    defaults = document.pop("default_levels", None)
    if defaults is None:
        return document

    def fill(criteria: object) -> object:
        if not isinstance(criteria, list):
            return criteria
        return [
            {**c, "levels": defaults}
            if isinstance(c, dict) and "levels" not in c and c.get("method", "judged") == "judged"
            else c
            for c in criteria
        ]

    if isinstance(document.get("dimensions"), list):
        document["dimensions"] = [
            {**d, "criteria": fill(d.get("criteria"))} if isinstance(d, dict) else d for d in document["dimensions"]
        ]
    if isinstance(document.get("bonus"), dict):
        document["bonus"] = {**document["bonus"], "items": fill(document["bonus"].get("items"))}
    return document


def _without(document: object, loc: tuple) -> object:
    """A copy of `document` with the key at `loc` removed (used to look past unknown keys)."""
    if not loc:
        return document
    head, rest = loc[0], loc[1:]
    if isinstance(document, dict) and head in document:
        if not rest:
            return {k: v for k, v in document.items() if k != head}
        return {**document, head: _without(document[head], rest)}
    if isinstance(document, list) and isinstance(head, int) and 0 <= head < len(document):
        return [*document[:head], _without(document[head], rest), *document[head + 1 :]]
    return document


def validate_document(document: dict, source: str) -> Rubric:
    """A parsed mapping -> Rubric, or RubricError with every problem at its path.

    Pydantic skips the cross-field rules once a field fails; so that a typo in a key does not hide
    a broken rule, unknown keys are set aside and the rules checked again on what remains.
    """
    merged = _apply_default_levels(_resolve_extends(document, source))
    try:
        return Rubric.model_validate(merged)
    except ValidationError as exc:
        failure = exc
    problems = _problems_from(failure)
    unknown = [e["loc"] for e in failure.errors() if e["type"] == "extra_forbidden"]
    if unknown:
        trimmed = merged
        for loc in unknown:
            trimmed = _without(trimmed, loc)
        try:
            Rubric.model_validate(trimmed)
        except ValidationError as again:
            seen = {(p.path, p.code) for p in problems}
            problems += [p for p in _problems_from(again) if (p.path, p.code) not in seen]
    raise RubricError(source, problems)


def load_rubric_text(text: str, source: str = "uploaded rubric") -> Rubric:
    return validate_document(parse_yaml(text, source), source)


def load_rubric_file(path: str | Path) -> Rubric:
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise RubricError(
            str(path), [Problem("", "encoding", "the file is not UTF-8 text; save it as UTF-8")]
        ) from None
    except OSError as exc:
        raise RubricError(str(path), [Problem("", "unreadable", f"cannot read the file: {exc.strerror}")]) from None
    return load_rubric_text(text, str(path))


def list_rubrics() -> list[str]:
    """Ids of the shipped rubrics, in file-name order."""
    return [p.stem for p in sorted(DATA_DIR.glob("*.yaml"))]


@cache
def load_rubric(rubric_id: str) -> Rubric:
    """A shipped rubric by id. Rubrics are immutable, so each is parsed once per process."""
    known = list_rubrics()
    if rubric_id not in known:
        raise RubricError(
            rubric_id,
            [
                Problem(
                    "id",
                    "unknown_rubric",
                    f"no shipped rubric is called {rubric_id!r}; choose one of: {', '.join(known)}",
                )
            ],
        )
    rubric = load_rubric_file(DATA_DIR / f"{rubric_id}.yaml")
    if rubric.id != rubric_id:
        raise RubricError(
            rubric_id,
            [
                Problem(
                    "id",
                    "id_mismatch",
                    f"the file {rubric_id}.yaml declares id {rubric.id!r}; make them equal",
                )
            ],
        )
    return rubric


def content_hash(rubric: Rubric) -> str:
    """SHA-256 of the rubric's canonical form.

    Every field is included — points, formulas, gates, bands, settings and also labels and
    descriptors, since what a reviewer reads shapes the score — so any change gives a new hash.
    """
    canonical = json.dumps(
        rubric.model_dump(mode="python"),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_canonical_number,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical_number(value: object) -> str:
    """4, 4.0 and 4.00 written in a rubric are the same points, so they hash alike."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    raise TypeError(f"cannot hash a {type(value).__name__}")
