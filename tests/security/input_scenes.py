"""A store with a little of everything the bad-input tests write to, built once per module and backend.

Refused input changes nothing, so the tests of one module share one scene per backend (SQLite and
PostgreSQL) and each checks, by reading back, that its refusal left the scene as it found it.
Tests that must succeed write only to records kept for them (`spare_*`).
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from dataclasses import dataclass

from openpyxl import load_workbook

from rubrics.schema import Rubric
from submissions import applications, exports, reviews, rounds
from submissions.access import Actor
from submissions.applications import ApplicationView
from submissions.excel.panel import panel_columns
from submissions.rounds import RoundView
from submissions.store import Store
from tests.submissions.store.scenario import (
    assigned_pairs,
    full_entries,
    open_round,
    reviewer_actor,
    round_under_review,
    valid_fields,
)
from tests.submissions.store.world import Clock, World
from tests.support.store_fixtures import drop_database, fresh_config
from tests.support.workbooks import fill, rewrite


@dataclass
class Scene:
    store: Store
    world: World
    life: RoundView  # open, project_life
    life_rubric: Rubric
    draft: ApplicationView  # applicant 0's valid draft in `life`, with a self-assessment saved
    spare_draft: ApplicationView  # applicant 2's valid draft in `life`, for saves that succeed
    training: RoundView  # open, skills_training (an integer indicator)
    training_rubric: Rubric
    training_draft: ApplicationView  # applicant 1's valid draft in `training`
    review: RoundView  # under review, project_life
    reviewer: Actor
    sheet_app: int  # assigned to `reviewer`, a draft sheet saved
    spare_reviewer: Actor
    spare_app: int  # assigned to `spare_reviewer`, nothing saved yet

    @property
    def admin(self) -> Actor:
        return self.world.admin

    @property
    def applicant(self) -> Actor:
        return self.world.applicants[0]


def _draft(store: Store, world: World, round_: RoundView, index: int, rubric: Rubric, title: str) -> ApplicationView:
    applicant = world.applicants[index]
    fields = valid_fields(rubric, region=applicant.region or "广东", title=title)
    created = applications.create_application(
        store, applicant, round_.id, category=fields["category"], title=title, region=fields["region"]
    )
    return applications.save_application(store, applicant, created.id, seen_version=created.version, changes=fields)


@contextmanager
def open_scene(request, tmp_path_factory, backend: str):
    template = request.getfixturevalue("sqlite_template" if backend == "sqlite" else "postgres_template")
    world: World = template[1]
    config, database = fresh_config(request, backend, tmp_path_factory.mktemp(f"inputs-{backend}"))
    store = Store(config, clock=Clock())
    try:
        life = open_round(store, world)
        life_rubric = rounds.round_rubric(store, world.admin, life.id)
        draft = _draft(store, world, life, 0, life_rubric, "智慧家庭示范项目")
        applications.save_self_assessment(
            store,
            world.applicants[0],
            draft.id,
            points={cid: e["points"] for cid, e in full_entries(life_rubric).items()},
            seen_version=0,
        )
        spare = _draft(store, world, life, 2, life_rubric, "山城云服务示范项目")
        training = open_round(store, world, "skills_training")
        training_rubric = rounds.round_rubric(store, world.admin, training.id)
        training_draft = _draft(store, world, training, 1, training_rubric, "数字技能培训项目")
        review, _ = round_under_review(store, world, per_applicant=1, per_application=2)
        pairs = assigned_pairs(store, world, review.id)
        sheet_app, reviewer_id = pairs[0]
        reviewer = reviewer_actor(world, reviewer_id)
        reviews.save_sheet(
            store, reviewer, sheet_app, entries=full_entries(life_rubric, 0.6), seen_version=0, submit=False
        )
        spare_app, spare_id = next((a, r) for a, r in pairs if r != reviewer_id and a != sheet_app)
        yield Scene(
            store,
            world,
            rounds.get_round(store, world.admin, life.id),
            life_rubric,
            applications.get_application(store, world.applicants[0], draft.id),
            spare,
            rounds.get_round(store, world.admin, training.id),
            training_rubric,
            training_draft,
            rounds.get_round(store, world.admin, review.id),
            reviewer,
            sheet_app,
            reviewer_actor(world, spare_id),
            spare_app,
        )
    finally:
        store.close()
        if database:
            drop_database(database)


# -- workbooks -----------------------------------------------------------------------------------


def review_workbook(scene: Scene, reviewer: Actor, application_id: int, cells: dict[str, object]) -> bytes:
    """The reviewer's downloaded offline sheet with `cells` (field -> value) set on the application's row.

    A value `RawNumber("1e309")` is written into the cell's XML as it stands, as another program might.
    """
    workbook = load_workbook(io.BytesIO(exports.reviewer_template(scene.store, reviewer, scene.review.id)))
    sheet = workbook.worksheets[0]
    position = {c.field: i for i, c in enumerate(panel_columns(scene.life_rubric), start=1)}
    reference = applications.get_application(scene.store, reviewer, application_id).reference
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=1).value == reference)
    raw = {}
    for field, value in cells.items():
        cell = sheet.cell(row=row, column=position[field])
        if isinstance(value, RawNumber):
            cell.value = RawNumber.PLACEHOLDER
            raw[RawNumber.PLACEHOLDER] = str(value)
        else:
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return with_raw_numbers(buffer.getvalue(), raw)


def review_row(scene: Scene, reviewer: Actor, application_id: int) -> int:
    """The spreadsheet row of the application in the reviewer's downloaded sheet."""
    workbook = load_workbook(io.BytesIO(exports.reviewer_template(scene.store, reviewer, scene.review.id)))
    sheet = workbook.worksheets[0]
    reference = applications.get_application(scene.store, reviewer, application_id).reference
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=1).value == reference)


class RawNumber(str):
    """A number cell's stored text, written into the sheet XML unchanged (e.g. `1e309`, beyond any float)."""

    PLACEHOLDER = 24680.13579


def with_raw_numbers(data: bytes, raw: dict[float, str]) -> bytes:
    if not raw:
        return data

    def patch(xml: bytes) -> bytes:
        for placeholder, text in raw.items():
            xml = xml.replace(f"<v>{placeholder!r}</v>".encode(), f"<v>{text}</v>".encode())
        return xml

    return rewrite(data, {"xl/worksheets/sheet1.xml": patch})


def application_workbook(scene: Scene, round_: RoundView, rows: list[dict[str, object]]) -> bytes:
    """The round's applicant template, downloaded by the admin, with `rows` filled in from row 2."""
    rubric = rounds.round_rubric(scene.store, scene.admin, round_.id)
    raw = {}
    cleaned = []
    for row in rows:
        cleaned.append({})
        for field, value in row.items():
            if isinstance(value, RawNumber):
                raw[RawNumber.PLACEHOLDER] = str(value)
                value = RawNumber.PLACEHOLDER
            cleaned[-1][field] = value
    data = fill(exports.applicant_template(scene.store, scene.admin, round_.id), rubric, cleaned)
    return with_raw_numbers(data, raw)
