"""Check that every plan quote in a rubric occurs verbatim in the cited seed file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from rubrics.errors import Problem, format_path
from rubrics.schema import Rubric, Source

SEED_FILES = {
    "000": "000_eb7d512624bc53b8.txt",
    "001": "001_27ae11bd9cd1be9d.txt",
    "002": "002_69e38f109316acac.txt",
    "003": "003_fc1e6f66014d85a7.txt",
    "004": "004_0ada1b181fa1dfad.txt",
}


def default_seed_dir() -> Path:
    """`APP_SEED_DIR`, else `shared/seeds` beside the checkout."""
    configured = os.environ.get("APP_SEED_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


def iter_sources(rubric: Rubric) -> Iterator[tuple[str, Source]]:
    """Every source in the rubric with the path of the field that carries it."""

    def walk(value: object, loc: tuple) -> Iterator[tuple[str, Source]]:
        if isinstance(value, Source):
            yield format_path(loc), value
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from walk(item, (*loc, i))
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                yield from walk(getattr(value, name), (*loc, name))

    yield from walk(rubric, ())


def check_quotes(rubric: Rubric, seed_dir: Path) -> list[Problem]:
    """Problems for quotes not found verbatim in their seed file."""
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    for path, source in iter_sources(rubric):
        if source.seed is None:
            continue
        name = SEED_FILES.get(source.seed)
        if name is None:
            problems.append(
                Problem(path, "unknown_seed", f"seed {source.seed!r} is not one of {', '.join(SEED_FILES)}")
            )
            continue
        if name not in texts:
            texts[name] = (seed_dir / name).read_text("utf-8")
        if source.quote not in texts[name]:
            problems.append(
                Problem(
                    path,
                    "quote_not_found",
                    f"quote {source.quote!r} does not occur in {name}; copy it verbatim",
                )
            )
    return problems
