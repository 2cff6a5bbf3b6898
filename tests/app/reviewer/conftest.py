"""Shared pieces of the reviewer page tests: demo facts, page text, downloads, filled review sheets.

Demo facts used throughout (city round, id 3, under review; see `submissions/demo.py`):
liuzhenhua has R3-00009 as a draft and R3-00010 / R3-00011 not started; sunyating has two drafts
and a declared conflict; the round requires comments of at least 10 characters on submission.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1.element_tree import AlertBase, HeadingBase, Markdown

from submissions import reviews, rounds
from submissions.excel.panel import panel_columns

MY_REVIEWS = "app_pages/reviewer/assignments.py"
SCORE = "app_pages/reviewer/score.py"
HOSTILE = "<script>alert(1)</script> [link](http://x) ![img](http://x) **bold** :red[red]"


@dataclass
class Download:
    file_name: str | None
    produce: Callable[[], bytes]

    @property
    def data(self) -> bytes:
        return self.produce()


@pytest.fixture
def downloads(monkeypatch) -> list[Download]:
    """Every file the pages hand to the browser, in order; deferred ones are produced when read."""
    captured: list[Download] = []
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def spy_add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        if is_for_static_download:
            captured.append(Download(file_name, lambda: path_or_data))
        return add(self, path_or_data, mimetype, coordinates, file_name, is_for_static_download)

    def spy_deferred(self, data_callable, mimetype, coordinates, file_name=None, *, element_id=""):
        captured.append(Download(file_name, data_callable))
        return add_deferred(self, data_callable, mimetype, coordinates, file_name, element_id=element_id)

    monkeypatch.setattr(MediaFileManager, "add", spy_add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", spy_deferred)
    return captured


def nodes(node) -> Iterator[object]:
    for child in getattr(node, "children", {}).values():
        yield child
        yield from nodes(child)


def page_text(app) -> str:
    """Every label and text value on the page (main area), one per line."""
    found = []
    for node in nodes(app.main):
        for attr in ("label", "value", "body"):
            try:
                value = getattr(node, attr, None)
            except Exception:  # a widget without a value in this run
                continue
            if isinstance(value, str) and value:
                found.append(value)
    return "\n".join(found)


def markdown_values(app) -> list[str]:
    """What Streamlit renders as markdown: markdown, captions, headings, alerts, and every label."""
    found = []
    for node in nodes(app.main):
        if isinstance(node, Markdown | HeadingBase | AlertBase) and isinstance(node.value, str):
            found.append(node.value)
        label = getattr(node, "label", None)
        if isinstance(label, str):
            found.append(label)
    return found


def block(app, key: str):
    """The container (or form) rendered with `key=key`."""
    for node in nodes(app.main):
        if getattr(node, "key", None) == key and hasattr(node, "children"):
            return node
    raise LookupError(f"no block with key {key!r}")


def city_round(pages) -> int:
    return next(
        r.id for r in rounds.list_rounds(pages.store, pages.actor("admin")) if r.rubric_id == "city_comprehensive"
    )


def assignments_of(pages, username: str, round_id: int) -> dict[str, reviews.AssignmentView]:
    return {a.reference: a for a in reviews.my_assignments(pages.store, pages.actor(username), round_id)}


def filled_sheet(template: bytes, rubric, rows: dict[str, dict[str, object]]) -> bytes:
    """The downloaded review sheet with cells set per application ref (field -> value)."""
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    position = {c.field: i for i, c in enumerate(panel_columns(rubric), start=1)}
    for r in range(2, sheet.max_row + 1):
        for field, value in rows.get(sheet.cell(row=r, column=1).value, {}).items():
            sheet.cell(row=r, column=position[field]).value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def full_cells(rubric, *, fraction: float = 0.7, comment: str = "材料翔实,论证充分,成效明显。") -> dict[str, object]:
    """Cells scoring every judged main criterion on its step grid, each with `comment`."""
    cells: dict[str, object] = {}
    for c in rubric.criteria:
        if c.method != "judged" or c.id in rubric.bonus_ids:
            continue
        step = float(c.step or 0.5)
        cells[f"entries.{c.id}.points"] = round(float(c.max_points) * fraction / step) * step
        cells[f"entries.{c.id}.comment"] = comment
    return cells
