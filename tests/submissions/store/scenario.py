"""Seeded building blocks for store tests: valid applications, full sheets, rounds in any state."""

from __future__ import annotations

from decimal import Decimal

from rubrics.loader import load_rubric
from rubrics.schema import Rubric
from submissions import applications, assignments, reviews, rounds
from submissions.rounds import RoundView
from submissions.store import Store
from tests.submissions.store.world import World


def valid_fields(rubric: Rubric, *, region: str, title: str = "智慧家庭示范项目", fraction: float = 0.5) -> dict:
    """A complete, valid application for `rubric`: indicators within bounds, gates met, no veto."""
    indicators: dict[str, object] = {}
    for ind in rubric.indicators:
        if ind.type == "bool":
            indicators[ind.id] = True
        elif ind.type == "choice":
            indicators[ind.id] = ind.choices[0].value
        else:
            low = ind.min or 0.0
            high = ind.max if ind.max is not None else low + 100
            value = low + (high - low) * fraction
            indicators[ind.id] = int(value) if ind.type == "int" else round(value, 2)
    declarations = {g.id: True for g in rubric.gates if g.check == "declared"}
    declarations |= {v.id: False for v in rubric.vetoes}
    return {
        "category": rubric.categories[0].id,
        "region": region,
        "title": title,
        "indicators": indicators,
        "declarations": declarations,
        "narratives": {c.id: f"{c.label.zh}:项目实施情况说明。" for c in rubric.criteria if c.method == "judged"},
    }


def full_entries(rubric: Rubric, fraction: float = 0.7, comment: str = "论证充分,数据翔实。") -> dict:
    """Points for every judged main criterion at `fraction` of its maximum, on the step grid."""
    entries = {}
    for c in rubric.criteria:
        if c.method != "judged" or c.id in rubric.bonus_ids:
            continue
        step = c.step or Decimal("0.5")
        points = (c.max_points * Decimal(str(fraction)) / step).to_integral_value() * step
        entries[c.id] = {"points": points, "comment": comment}
    return entries


def open_round(store: Store, world: World, rubric_id: str = "project_life", **settings) -> RoundView:
    created = rounds.create_round(
        store, world.admin, name="2026年信息消费示范项目", rubric_id=rubric_id, settings=settings
    )
    return rounds.advance(store, world.admin, created.id, to_state="open", seen_version=created.version)


def submit_application(store: Store, world: World, round_id: int, applicant_index: int = 0, **overrides):
    applicant = world.applicants[applicant_index]
    rubric = load_rubric(rounds.get_round(store, world.admin, round_id).rubric_id)
    fields = valid_fields(rubric, region=applicant.region or "广东") | overrides
    draft = applications.create_application(
        store, applicant, round_id, category=fields["category"], title=fields["title"], region=fields["region"]
    )
    saved = applications.save_application(
        store, applicant, draft.id, seen_version=draft.version, changes={k: v for k, v in fields.items()}
    )
    return applications.submit_application(store, applicant, saved.id, seen_version=saved.version)


def round_under_review(
    store: Store, world: World, *, per_applicant: int = 2, per_application: int = 3, **settings
) -> tuple[RoundView, list]:
    """An open round with `per_applicant` submitted applications per applicant, assigned, under review."""
    opened = open_round(store, world, reviewers_per_application=per_application, **settings)
    submitted = [
        submit_application(store, world, opened.id, i, title=f"示范项目{i}-{n}")
        for i in range(len(world.applicants))
        for n in range(per_applicant)
    ]
    assignments.apply_assignment(store, world.admin, opened.id, seed=1)
    current = rounds.get_round(store, world.admin, opened.id)
    under_review = rounds.advance(store, world.admin, opened.id, to_state="under_review", seen_version=current.version)
    return under_review, submitted


def assigned_pairs(store: Store, world: World, round_id: int) -> list[tuple[int, int]]:
    table = assignments.assignment_table(store, world.admin, round_id)
    return list(zip(table["application_id"], table["reviewer_id"], strict=True))


def reviewer_actor(world: World, user_id: int):
    return next(r for r in world.reviewers if r.user_id == user_id)


def score_everything(store: Store, world: World, round_id: int, fraction: float = 0.7) -> int:
    """Every assigned reviewer submits a full sheet; returns how many sheets were submitted."""
    rubric = rounds.round_rubric(store, world.admin, round_id)
    count = 0
    for app_id, reviewer_id in assigned_pairs(store, world, round_id):
        actor = reviewer_actor(world, reviewer_id)
        reviews.save_sheet(store, actor, app_id, entries=full_entries(rubric, fraction), seen_version=0, submit=True)
        count += 1
    return count
