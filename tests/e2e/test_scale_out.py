"""Two app servers on one PostgreSQL database: a score saved through one is seen through the other."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from submissions import reviews, rounds
from submissions.config import StoreConfig
from submissions.store import Store
from tests.e2e.browser import screenshot, settle, sign_in
from tests.submissions.store.scenario import assigned_pairs, reviewer_actor, round_under_review
from tests.submissions.store.world import PASSWORD, build_world
from tests.support.store_fixtures import create_database, drop_database, pg_url_for, require_postgres


@pytest.fixture
def shared_postgres(tmp_path):
    require_postgres()
    name = f"e2e_scale_out_{uuid.uuid4().hex[:10]}"
    create_database(name)
    config = StoreConfig(data_dir=tmp_path / "shared-volume", database_url=pg_url_for(name))
    store = Store(config)
    yield store, config
    store.close()
    drop_database(name)


def test_a_score_saved_through_one_server_is_seen_through_the_other(shared_postgres, serve, context_factory):
    store, config = shared_postgres
    world = build_world(store)
    under_review, _ = round_under_review(store, world, per_applicant=1, per_application=3)
    application_id, reviewer_id = assigned_pairs(store, world, under_review.id)[0]
    reviewer = reviewer_actor(world, reviewer_id)
    rubric = rounds.round_rubric(store, world.admin, under_review.id)
    criterion = next(c for c in rubric.criteria if c.method == "judged")
    env = {"APP_DATABASE_URL": config.database_url, "APP_DATA_DIR": str(config.data_dir)}
    first, second = serve(env), serve(env)
    sheet_path = f"/score?application={application_id}"
    points_input = f".st-key-rv_points_{application_id}_{criterion.id} input"

    on_first = context_factory()
    sign_in(on_first, first.url + sheet_path, reviewer.username, PASSWORD)
    on_first.locator(points_input).fill("3")
    on_first.locator(".st-key-rv_save_draft button").click()
    settle(on_first)
    expect(on_first.get_by_text("草稿已保存", exact=False).first).to_be_visible()

    saved = reviews.get_sheet(store, reviewer, application_id)
    assert saved.entries[criterion.id].points == Decimal(3)

    on_second = context_factory()
    sign_in(on_second, second.url + sheet_path, reviewer.username, PASSWORD)
    expect(on_second.locator(points_input)).not_to_have_value("", timeout=30_000)
    assert float(on_second.locator(points_input).input_value()) == 3
    screenshot(on_second, "scale-out-second-server")
