"""The demonstration data: built once by `main()` in a fresh SQLite store, then read through the services."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
from decimal import Decimal

import pandas as pd
import pytest

from rubrics.credit_code import is_valid
from scoring.selfassess import self_gaps, self_summary
from submissions import accounts, applications, assignments, demo, ranking, reviews, rounds
from submissions.access import Actor
from submissions.config import StoreConfig
from submissions.store import Store

PASSWORD = demo.DEFAULT_PASSWORD
EXPECTED_STATES = {
    "city_comprehensive": "under_review",
    "project_life": "published",
    "project_public_service": "closed",
    "project_industry": "open",
    "project_new_product": "draft",
}


def _use_directory(monkeypatch: pytest.MonkeyPatch, directory) -> None:
    monkeypatch.setenv("APP_DATA_DIR", str(directory))
    monkeypatch.delenv("APP_DATABASE_URL", raising=False)
    monkeypatch.delenv("APP_DEMO_PASSWORD", raising=False)


def _run_main() -> tuple[int, str]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = demo.main([])
    return code, output.getvalue()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[object, str]:
    """The data directory after one run of the demo, and what that run printed."""
    directory = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _use_directory(monkeypatch, directory)
        code, printed = _run_main()
    assert code == 0, printed
    return directory, printed


@pytest.fixture(scope="module")
def store(demo_run) -> Store:
    opened = Store(StoreConfig.for_directory(demo_run[0]))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def admin(store) -> Actor:
    return accounts.login(store, "admin", PASSWORD)


@pytest.fixture(scope="module")
def round_ids(store, admin) -> dict[str, int]:
    return {r.rubric_id: r.id for r in rounds.list_rounds(store, admin)}


def _all_applications(store: Store, admin: Actor) -> list[applications.ApplicationView]:
    return [a for r in rounds.list_rounds(store, admin) for a in applications.list_applications(store, admin, r.id)]


def _snapshot(store: Store, admin: Actor) -> tuple:
    """What the services show of the store; a ranking's revision moves with any audited change to its round."""
    listed = rounds.list_rounds(store, admin)
    reviewed = [r.id for r in listed if r.state not in ("draft", "open")]
    return (
        accounts.list_users(store, admin),
        accounts.list_organisations(store, admin),
        [(r.id, r.state, r.version, r.settings) for r in listed],
        [(a.id, a.version, a.status, a.attachments) for a in _all_applications(store, admin)],
        [reviews.progress(store, admin, round_id).to_dict("records") for round_id in reviewed],
        [ranking.rank_round(store, admin, round_id).revision for round_id in reviewed],
    )


def _login_rows(printed: str) -> list[list[str]]:
    """The rows of the printed login table: user name, role, organisation, password."""
    lines = printed.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("用户名 Username"))
    return [re.split(r" {2,}", line.strip()) for line in lines[header + 2 :] if line.strip()]


# -- rounds and applications ----------------------------------------------------------------------


def test_demo_rounds_exist_in_expected_states(store, admin):
    states = {r.rubric_id: r.state for r in rounds.list_rounds(store, admin)}

    assert states == EXPECTED_STATES


def test_demo_deadlines_agree_with_round_states(store, admin):
    now = dt.datetime.now(dt.UTC)
    by_rubric = {r.rubric_id: r.settings for r in rounds.list_rounds(store, admin)}

    assert now < by_rubric["project_industry"].application_deadline
    city = by_rubric["city_comprehensive"]
    assert city.application_deadline < now < city.review_deadline
    assert by_rubric["project_public_service"].review_deadline < now
    assert by_rubric["project_life"].review_deadline < now


def test_demo_has_about_sixty_applications_with_drafts_and_a_withdrawal(store, admin):
    statuses = [a.status for a in _all_applications(store, admin)]

    assert len(statuses) == 60
    assert statuses.count("draft") == 3
    assert statuses.count("withdrawn") == 1


def test_demo_submitted_applications_carry_texts_for_every_judged_criterion(store, admin, round_ids):
    rubric = rounds.round_rubric(store, admin, round_ids["project_life"])
    judged = {c.id for c in rubric.criteria if c.method == "judged" and c.id not in rubric.bonus_ids}

    for listed in applications.list_applications(store, admin, round_ids["project_life"], status="submitted"):
        app = applications.get_application(store, admin, listed.id)
        assert judged <= set(app.narratives) and judged <= set(app.evidence)
        assert app.title


def test_demo_most_submitted_applications_have_a_self_assessment(store, admin):
    submitted = [a for a in _all_applications(store, admin) if a.status == "submitted"]
    assessed = [a for a in submitted if applications.get_self_assessment(store, admin, a.id).version > 0]

    assert len(assessed) > 0.7 * len(submitted)


def test_demo_some_applicants_over_claim_in_the_published_round(store, admin, round_ids):
    round_id = round_ids["project_life"]
    result = ranking.rank_round(store, admin, round_id)
    own = [
        (app.reference, criterion_id, float(points))
        for app in applications.list_applications(store, admin, round_id, status="submitted")
        for criterion_id, points in applications.get_self_assessment(store, admin, app.id).points.items()
    ]
    gaps = self_gaps(
        result.rubric, result.evaluation, pd.DataFrame(own, columns=["application_id", "criterion_id", "points"])
    )

    summary = self_summary(gaps, float(result.rubric.total_points), result.evaluation.settings.overclaim_flag)

    assert 1 <= summary["overclaim"].sum() < len(summary) / 2


# -- organisations and people ---------------------------------------------------------------------


def test_demo_every_organisation_has_a_valid_credit_code(store, admin):
    organisations = accounts.list_organisations(store, admin)

    assert len(organisations) == 63
    assert all(is_valid(o.credit_code) for o in organisations)


def test_demo_has_one_applicant_account_per_applying_organisation(store, admin):
    applicants = accounts.list_users(store, admin, role="applicant")
    applying = {a.organisation_id for a in _all_applications(store, admin)}

    assert sorted(u.organisation_id for u in applicants) == sorted(applying)


def test_demo_has_eight_distinct_reviewers_some_from_applicant_companies(store, admin):
    reviewers = accounts.list_users(store, admin, role="reviewer")
    applying = {a.organisation_id for a in _all_applications(store, admin)}

    assert len(reviewers) == 8
    assert len({r.display_name for r in reviewers}) == 8
    assert len({r.region for r in reviewers}) >= 5
    assert sum(r.organisation_id in applying for r in reviewers) == 2


# -- assignment and review ------------------------------------------------------------------------


def test_demo_conflicts_are_declared_and_detected(store, admin, round_ids):
    kinds = {
        rubric_id: set(assignments.conflicts(store, admin, round_ids[rubric_id])["kind"])
        for rubric_id in ("city_comprehensive", "project_life", "project_public_service")
    }

    assert kinds["city_comprehensive"] == {"declared", "same_region"}
    assert kinds["project_life"] == {"declared", "same_organisation"}
    assert "declared" in kinds["project_public_service"]


def test_demo_city_round_has_complete_and_partial_sheets(store, admin, round_ids):
    round_id = round_ids["city_comprehensive"]
    progress = reviews.progress(store, admin, round_id)
    progress = progress[~progress["conflicted"]]
    draft = progress[progress["status"] == "draft"].iloc[0]
    username = next(u.username for u in accounts.list_users(store, admin) if u.id == draft["reviewer_id"])
    reviewer = accounts.login(store, username, PASSWORD)
    rubric = rounds.round_rubric(store, admin, round_id)
    judged = [c for c in rubric.criteria if c.method == "judged" and c.id not in rubric.bonus_ids]

    sheet = reviews.get_sheet(store, reviewer, int(draft["application_id"]))

    assert (progress["status"] == "submitted").sum() > 0.8 * len(progress)
    assert (progress["status"] == "draft").sum() >= 2
    assert 0 < len(sheet.entries) < len(judged)


def test_demo_points_are_on_each_criterion_grid(store, admin, round_ids):
    round_id = round_ids["city_comprehensive"]
    rubric = rounds.round_rubric(store, admin, round_id)
    reviewer = accounts.login(store, "zhoujianguo", PASSWORD)

    for assigned in reviews.my_assignments(store, reviewer, round_id):
        for criterion_id, entry in reviews.get_sheet(store, reviewer, assigned.application_id).entries.items():
            criterion = rubric.criterion(criterion_id)
            assert Decimal(0) <= entry.points <= criterion.max_points
            assert entry.points % (criterion.step or Decimal("0.5")) == 0


def test_demo_lenient_reviewer_scores_above_harsh_one(store, admin, round_ids):
    users = {u.username: u.id for u in accounts.list_users(store, admin, role="reviewer")}
    result = ranking.rank_round(store, admin, round_ids["project_life"])
    severity = result.evaluation.reviewers.set_index("reviewer_id")["severity_points"]

    lenient = severity[ranking.reviewer_label(users["linxiaolan"])]
    harsh = severity[ranking.reviewer_label(users["zhoujianguo"])]

    assert lenient > 0 > harsh
    assert severity.max() == lenient and severity.min() == harsh


# -- results --------------------------------------------------------------------------------------


def test_demo_published_round_ranks_for_an_applicant(store, round_ids):
    applicant = accounts.login(store, "yunqi", PASSWORD)

    result = ranking.applicant_results(store, applicant, round_ids["project_life"])

    assert len(result.own) >= 1
    assert result.own["scored"].all()
    assert len(result.public) >= 1
    assert result.public["rank"].is_monotonic_increasing


@pytest.mark.parametrize("rubric_id", ["city_comprehensive", "project_public_service", "project_life"])
def test_demo_rounds_under_review_or_later_rank_for_the_admin(store, admin, round_ids, rubric_id):
    result = ranking.rank_round(store, admin, round_ids[rubric_id])

    assert result.sheets > 0
    assert (~result.evaluation.table["eligible"]).sum() == 1


# -- running again and logging in ----------------------------------------------------------------


def test_demo_second_run_changes_nothing(store, admin, demo_run, monkeypatch):
    before = _snapshot(store, admin)
    _use_directory(monkeypatch, demo_run[0])

    code, printed = _run_main()

    assert code == 0
    assert "Demo data exists" in printed
    assert _snapshot(store, admin) == before


def test_demo_printed_logins_work(store, demo_run):
    rows = _login_rows(demo_run[1])
    by_role = {}
    for username, role, organisation, password in rows:
        by_role.setdefault(role.split()[-1], (username, organisation, password))

    actors = {role: accounts.login(store, username, password) for role, (username, _, password) in by_role.items()}

    assert len(rows) == 1 + 8 + 57
    assert {role: actor.role for role, actor in actors.items()} == {
        "admin": "admin",
        "reviewer": "reviewer",
        "applicant": "applicant",
    }
    assert {password for *_, password in rows} == {PASSWORD}
    assert f"password: {PASSWORD}" in demo_run[1]
