"""Benchmark the store (a report, not a test).

    PYTHONPATH=. .venv/bin/python bench/bench_store.py [--applications 10000] [--postgres URL]

Measures, on a fresh SQLite file (and on PostgreSQL when `--postgres` names a server database that
may be wiped):

1. ranking a round of N applications × 5 reviewers × 20 judged criteria from the store: the first
   call (one scores query + the engine) and a cached call; the round is loaded with bulk inserts;
2. 8 threads × 50 score-sheet saves through `reviews.save_sheet`, each thread on its own sheet:
   committed saves, errors and database retries;
3. importing N applications from a filled applicant workbook (`applications_import.import_workbook`);
4. writing the ranking workbook for the N-application round.

Targets (issue 3): import ≤ 10 s, ranking ≤ 1 s, workbook ≤ 10 s for N = 10,000; 400 saves, 0 errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from bench.bench_engine import all_judged, machine_info
from rubrics.loader import load_rubric
from scoring.synthetic import credit_codes, round_data
from submissions import accounts, assignments, ranking, reviews, rounds
from submissions.access import Actor
from submissions.config import StoreConfig
from submissions.models import Application, Assignment, Organisation, ReviewRound, ScoreSheet, User
from submissions.rounds import frozen_rubric_text
from submissions.store import Store

REVIEWERS = 50
PER_APPLICATION = 5
PASSWORD = "benchmark password"
TARGETS = {"import": 10.0, "rank": 1.0, "workbook": 10.0}


def timed(run: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def fresh_store(directory: Path, postgres: str | None) -> Store:
    if postgres:
        from sqlalchemy import create_engine

        engine = create_engine(postgres, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    return Store(StoreConfig.for_directory(directory, postgres))


def admin_of(store: Store) -> Actor:
    view = accounts.bootstrap_admin(store, username="admin", display_name="基准测试管理员", password=PASSWORD)
    return accounts.actor_of_view(view)


def bulk_round(store: Store, admin: Actor, n: int) -> int:
    """A round under review with N applications, complete submitted sheets, loaded with bulk inserts."""
    rubric = all_judged(load_rubric("city_comprehensive"))
    created = rounds.create_round(
        store, admin, name=f"基准轮次 {n}", rubric_text=frozen_rubric_text(rubric), settings={"normalise": True}
    )
    applications, scores = round_data(rubric, n, PER_APPLICATION, REVIEWERS, seed=0)
    now = store.now()
    password_hash = accounts.HASHER.hash(PASSWORD)  # one hash for all: hashing is not what is measured
    criteria = len(rubric.criteria)
    matrix = scores["points"].to_numpy().reshape(n * PER_APPLICATION, criteria)
    reviewer_codes = scores["reviewer_id"].cat.codes.to_numpy()[::criteria]

    def work(session) -> None:
        session.execute(
            insert(User),
            [
                {
                    "username": f"bench{r}",
                    "display_name": f"专家{r}",
                    "role": "reviewer",
                    "password_hash": password_hash,
                    "active": True,
                    "created_at": now,
                }
                for r in range(REVIEWERS)
            ],
        )
        first_reviewer = session.execute(text("SELECT min(id) FROM users WHERE role = 'reviewer'")).scalar_one()
        session.execute(
            insert(Organisation),
            [
                {"name": f"基准单位{i}", "credit_code": str(code), "region": region, "created_at": now}
                for i, (code, region) in enumerate(
                    zip(applications["credit_code"], applications["region"], strict=True)
                )
            ],
        )
        first_org = session.execute(text("SELECT min(id) FROM organisations")).scalar_one()
        declared = [g.id for g in rubric.gates if g.check == "declared"] + [v.id for v in rubric.vetoes]
        indicator_ids = [i.id for i in rubric.indicators]
        session.execute(
            insert(Application),
            [
                {
                    "round_id": created.id,
                    "organisation_id": first_org + i,
                    "reference": f"R{created.id}-{i + 1:05d}",
                    "category": row["category"],
                    "region": row["region"],
                    "title": f"基准项目{i}",
                    "indicators": json.dumps({k: float(row[k]) for k in indicator_ids}),
                    "declarations": json.dumps({k: bool(row[k]) for k in declared}),
                    "narratives": "{}",
                    "evidence": "{}",
                    "status": "submitted",
                    "created_at": now,
                    "updated_at": now,
                    "submitted_at": now,
                    "version": 1,
                }
                for i, row in enumerate(applications.to_dict("records"))
            ],
        )
        first_app = session.execute(
            text("SELECT min(id) FROM applications WHERE round_id = :r"), {"r": created.id}
        ).scalar_one()
        app_of_sheet = first_app + np.repeat(np.arange(n), PER_APPLICATION)
        reviewer_of_sheet = first_reviewer + reviewer_codes
        session.execute(
            insert(Assignment),
            [
                {
                    "round_id": created.id,
                    "application_id": int(a),
                    "reviewer_id": int(r),
                    "method": "auto",
                    "created_at": now,
                }
                for a, r in zip(app_of_sheet, reviewer_of_sheet, strict=True)
            ],
        )
        session.execute(
            insert(ScoreSheet),
            [
                {
                    "round_id": created.id,
                    "application_id": int(a),
                    "reviewer_id": int(r),
                    "status": "submitted",
                    "points": json.dumps(points.tolist()),
                    "comments": "{}",
                    "created_at": now,
                    "updated_at": now,
                    "submitted_at": now,
                    "version": 1,
                }
                for a, r, points in zip(app_of_sheet, reviewer_of_sheet, matrix, strict=True)
            ],
        )
        session.execute(ReviewRound.__table__.update().where(ReviewRound.id == created.id).values(state="under_review"))

    store.db.write(work)
    return created.id


def bench_rank(store: Store, admin: Actor, n: int) -> dict[str, float]:
    round_id = bulk_round(store, admin, n)
    first, result = timed(lambda: ranking.rank_round(store, admin, round_id))
    cached, _ = timed(lambda: ranking.rank_round(store, admin, round_id))
    store.rankings.clear()
    second, _ = timed(lambda: ranking.rank_round(store, admin, round_id))
    assert result.sheets == n * PER_APPLICATION
    return {"round_id": round_id, "first": first, "uncached": second, "cached": cached}


def bench_concurrent_saves(store: Store, admin: Actor, threads: int = 8, saves: int = 50) -> dict[str, int]:
    """Each thread: its own reviewer and application, `saves` successive draft saves."""
    opened = rounds.create_round(store, admin, name="并发保存", rubric_id="project_life")
    opened = rounds.advance(store, admin, opened.id, to_state="open", seen_version=opened.version)
    rubric = load_rubric("project_life")
    rng = np.random.default_rng(5)
    reviewers, apps = [], []
    for t in range(threads):
        org = accounts.create_organisation(
            store, admin, name=f"并发单位{t}", credit_code=str(credit_codes(1, rng)[0]), region="广东"
        )
        applicant = accounts.actor_of_view(
            accounts.create_user(
                store,
                admin,
                username=f"app{t}",
                display_name=f"申报{t}",
                role="applicant",
                password=PASSWORD,
                organisation_id=org.id,
            )
        )
        reviewer = accounts.actor_of_view(
            accounts.create_user(
                store, admin, username=f"rev{t}", display_name=f"专家{t}", role="reviewer", password=PASSWORD
            )
        )
        from tests.submissions.store.scenario import valid_fields  # the same valid application the tests use

        fields = valid_fields(rubric, region="广东", title=f"并发项目{t}")
        from submissions import applications

        draft = applications.create_application(store, applicant, opened.id, category="life", title=fields["title"])
        saved = applications.save_application(store, applicant, draft.id, seen_version=draft.version, changes=fields)
        applications.submit_application(store, applicant, saved.id, seen_version=saved.version)
        assignments.assign(store, admin, draft.id, reviewer.user_id)
        reviewers.append(reviewer)
        apps.append(draft.id)
    current = rounds.get_round(store, admin, opened.id)
    rounds.advance(store, admin, opened.id, to_state="under_review", seen_version=current.version)

    barrier = threading.Barrier(threads)
    committed = [0] * threads
    errors: list[str] = []
    retries_before = store.db.retries

    def run(t: int) -> None:
        barrier.wait()
        version = 0
        for s in range(saves):
            try:
                points = float((s % 20) / 2)
                sheet = reviews.save_sheet(
                    store, reviewers[t], apps[t], entries={"market_prospect": {"points": points}}, seen_version=version
                )
                version = sheet.version
                committed[t] += 1
            except Exception as exc:  # counted and reported, never hidden
                errors.append(f"{type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"committed": sum(committed), "errors": len(errors), "retries": store.db.retries - retries_before}


def bench_import(store: Store, admin: Actor, n: int) -> tuple[float, int]:
    """Import N applications for the city rubric (44 columns) from a filled applicant workbook."""
    from submissions import exports, imports
    from tests.support.workbooks import fill, valid_row

    rubric = load_rubric("city_comprehensive")
    created = rounds.create_round(store, admin, name="导入基准", rubric_id=rubric.id)
    opened = rounds.advance(store, admin, created.id, to_state="open", seen_version=created.version)
    template = exports.applicant_template(store, admin, opened.id)
    workbook = fill(template, rubric, [valid_row(rubric, i % 50, title=f"示范项目{i}") for i in range(n)])
    seconds, outcome = timed(lambda: imports.import_applications(store, admin, opened.id, workbook))
    assert outcome.ok, outcome.problems[:3]
    return seconds, outcome.imported


def bench_workbook(store: Store, admin: Actor, round_id: int) -> tuple[float, int]:
    from submissions import exports

    ranking.rank_round(store, admin, round_id)  # the ranking itself is measured above
    seconds, data = timed(lambda: exports.ranking_export(store, admin, round_id))
    return seconds, len(data)


def report(label: str, seconds: float, target: float | None = None) -> None:
    verdict = "" if target is None else f"  target ≤ {target:.0f} s: {'met' if seconds <= target else 'MISSED'}"
    print(f"  {label:<44} {seconds:8.3f} s{verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose public schema may be wiped")
    args = parser.parse_args(argv)
    print(machine_info())
    backends = [("SQLite", None)] + ([("PostgreSQL", args.postgres)] if args.postgres else [])
    for name, url in backends:
        with tempfile.TemporaryDirectory() as directory:
            store = fresh_store(Path(directory), url)
            admin = admin_of(store)
            shown = make_url(store.config.database_url).render_as_string(hide_password=True)
            print(f"\n{name} ({shown})")
            rank = bench_rank(store, admin, args.applications)
            n = args.applications
            report(f"rank {n} applications, first call", rank["first"], TARGETS["rank"])
            report(f"rank {n} applications, cache cleared", rank["uncached"], TARGETS["rank"])
            report(f"rank {n} applications, cached", rank["cached"])
            seconds, size = bench_workbook(store, admin, rank["round_id"])
            report(f"ranking workbook, {n} applications ({size / 1e6:.1f} MB)", seconds, TARGETS["workbook"])
            seconds, imported = bench_import(store, admin, n)
            report(f"import {imported} applications from a workbook", seconds, TARGETS["import"])
            saves = bench_concurrent_saves(store, admin)
            print(
                f"  8 threads x 50 sheet saves: {saves['committed']} committed, {saves['errors']} errors, "
                f"{saves['retries']} retried transactions"
            )
            store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
