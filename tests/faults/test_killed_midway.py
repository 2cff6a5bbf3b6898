"""SIGKILL at random moments during saves and imports: a sound database, every unit of work all or nothing.

A forked child works in a loop — score sheets (draft saves, submits, an administrator's reopen),
application drafts, self-assessments, attachment uploads and deletions; or a workbook import again
and again — and reports each unit once it has committed. The parent kills it with SIGKILL after a
random delay (seeded: set FAULTS_SEED to replay; the seed and every delay are printed), then checks
through a fresh read:

- SQLite's `PRAGMA integrity_check` says "ok"; on PostgreSQL no session of the killed client is
  left on the server (its open transaction was rolled back);
- the audit log replayed gives exactly the stored rows (every change has its entry and every entry
  its change), so no save is half there, and the kill added at most the one unit in flight;
- every unit the child reported committed is still there;
- every attachment row has its file with the recorded checksum; files of uploads that never
  committed are what `applications.remove_unreferenced_files` removes, and nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text

from rubrics.loader import load_rubric
from submissions import applications, exports, imports, reviews, rounds
from submissions.access import Actor
from submissions.config import StoreConfig
from submissions.models import Application, Attachment, AuditEntry, ReviewRound, ScoreSheet, SelfAssessment
from submissions.store import Store
from tests.faults.forked import Child, Report
from tests.submissions.store.scenario import (
    assigned_pairs,
    full_entries,
    open_round,
    reviewer_actor,
    round_under_review,
    valid_fields,
)
from tests.support.workbooks import fill, valid_row

SEED = int(os.environ.get("FAULTS_SEED", "20261122"))
SAVE_KILLS = 24  # per backend; with the imports 30 per backend, 60 on the two
IMPORT_KILLS = 6
IMPORT_ROWS = 150
RUBRIC = load_rubric("project_life")
UPLOAD_BYTES = 256 * 1024
ATTACHMENTS_KEPT = 3  # beyond this the loop deletes the oldest, so deletions are killed too
SHEET_ACTIONS = ("sheet.save", "sheet.submit", "sheet.reopen")
APPLICATION_ACTIONS = ("application.create", "application.save")


@dataclass(frozen=True)
class Plan:
    """What the save loop works on: sheets of a round under review, drafts of an open round."""

    review_round: int
    open_round: int
    sheets: tuple[tuple[int, Actor], ...]  # (application id, its reviewer)
    drafts: tuple[tuple[int, Actor], ...]  # (application id, its applicant)
    admin: Actor


def _plan(store: Store, world) -> Plan:
    under_review, _ = round_under_review(store, world, per_applicant=1, per_application=2)
    sheets = tuple((a, reviewer_actor(world, r)) for a, r in assigned_pairs(store, world, under_review.id))
    created = rounds.create_round(store, world.admin, name="草稿申报轮", rubric_id="project_life")
    opened = rounds.advance(store, world.admin, created.id, to_state="open", seen_version=created.version)
    drafts = []
    for applicant in world.applicants:
        draft = applications.create_application(store, applicant, opened.id, category="life", title="草稿")
        fields = valid_fields(RUBRIC, region=applicant.region or "广东")
        applications.save_application(store, applicant, draft.id, seen_version=draft.version, changes=fields)
        drafts.append((draft.id, applicant))
    return Plan(under_review.id, opened.id, sheets, tuple(drafts), world.admin)


# -- the child: saves in a loop ---------------------------------------------------------------------


def _judged_points(fraction: float) -> dict:
    return {cid: e["points"] for cid, e in full_entries(RUBRIC, fraction).items()}


def _save_loop(report: Report, config: StoreConfig, plan: Plan, run: int) -> None:
    store = Store(config, migrate=False)  # the real clock: every save changes at least its time
    reviews.get_sheet(store, plan.sheets[0][1], plan.sheets[0][0])  # connected, rubric parsed: work starts now
    report.line("ready")
    k = 0
    while True:
        for kind in ("sheet", "application", "self", "attachment"):
            k += 1
            token = f"r{run}u{k}"
            fraction = 0.3 + (k % 7) / 10
            if kind == "sheet":
                app_id, reviewer = plan.sheets[k % len(plan.sheets)]
                sheet = reviews.get_sheet(store, reviewer, app_id)
                if sheet.status == "submitted":
                    reviews.reopen_sheet(store, plan.admin, app_id, reviewer.user_id, reason=f"更正{token}")
                    version = sheet.version + 1
                else:
                    entries = full_entries(RUBRIC, fraction, comment=f"{token}:论证充分,数据翔实。")
                    submit = sheet.version % 3 == 2
                    version = reviews.save_sheet(
                        store, reviewer, app_id, entries=entries, seen_version=sheet.version, submit=submit
                    ).version
                report.line(f"ok sheet {app_id}:{reviewer.user_id} {version}")
                continue
            app_id, applicant = plan.drafts[k % len(plan.drafts)]
            if kind == "application":
                current = applications.get_application(store, applicant, app_id)
                changes = {
                    "title": f"示范项目{token}",
                    "indicators": valid_fields(RUBRIC, region=current.region, fraction=fraction)["indicators"],
                    "narratives": {cid: f"{token}:项目实施情况说明。" for cid in current.narratives},
                }
                saved = applications.save_application(
                    store, applicant, app_id, seen_version=current.version, changes=changes
                )
                report.line(f"ok application {app_id} {saved.version}")
            elif kind == "self":
                current = applications.get_self_assessment(store, applicant, app_id)
                saved = applications.save_self_assessment(
                    store, applicant, app_id, points=_judged_points(fraction), seen_version=current.version
                )
                report.line(f"ok self {app_id} {saved.version}")
            else:
                attached = applications.get_application(store, applicant, app_id).attachments
                if len(attached) >= ATTACHMENTS_KEPT:
                    applications.delete_attachment(store, applicant, attached[0].id)
                    report.line(f"ok detach {attached[0].id} 0")
                else:
                    data = b"%PDF-1.4\n" + token.encode() + os.urandom(UPLOAD_BYTES)
                    added = applications.add_attachment(store, applicant, app_id, filename=f"{token}.pdf", data=data)
                    report.line(f"ok attach {added.id} 0")


# -- the parent's checks ------------------------------------------------------------------------------


def _integrity_ok(store: Store) -> None:
    if store.db.dialect == "sqlite":
        with sqlite3.connect(store.config.data_dir / "review.db") as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return
    # The server notices the closed connection and rolls its transaction back.
    deadline = time.monotonic() + 30
    while True:
        left = store.db.read(
            lambda s: s.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state <> 'idle'"
                )
            )
        )
        if left == 0:
            return
        assert time.monotonic() < deadline, f"{left} session(s) of the killed client still open on the server"
        time.sleep(0.05)


def _audit_count(store: Store) -> int:
    return store.db.read(lambda s: s.scalar(select(func.count()).select_from(AuditEntry)))


def _entries_by_target(session, target_type: str, actions: tuple[str, ...]) -> dict[str, list[AuditEntry]]:
    found = defaultdict(list)
    query = (
        select(AuditEntry)
        .where(AuditEntry.target_type == target_type, AuditEntry.action.in_(actions), AuditEntry.outcome == "ok")
        .order_by(AuditEntry.id)
    )
    for entry in session.scalars(query):
        found[entry.target_id].append(entry)
    return found


def _loaded(value: str | None) -> object:
    return json.loads(value) if value else None


def _check_saves(store: Store, plan: Plan) -> dict[str, object]:
    """Every stored row is what its audit entries replay to; returns the state for the durability check."""

    def work(session) -> dict[str, object]:
        state: dict[str, object] = {}
        sheet_log = _entries_by_target(session, "score_sheet", SHEET_ACTIONS)
        for sheet in session.scalars(select(ScoreSheet).where(ScoreSheet.round_id == plan.review_round)):
            logged = sheet_log.pop(str(sheet.id), [])
            replayed: dict = {"version": len(logged)}
            for entry in logged:
                after = _loaded(entry.after)
                if entry.action == "sheet.reopen":
                    replayed["status"] = "draft"
                else:
                    replayed |= {k: after[k] for k in ("status", "points", "comments")}
            stored = {
                "status": sheet.status,
                "points": json.loads(sheet.points),
                "comments": json.loads(sheet.comments),
                "version": sheet.version,
            }
            assert replayed == stored, f"sheet {sheet.id}: the audit log replays to {replayed}, stored {stored}"
            assert (sheet.submitted_at is not None) == (sheet.status == "submitted")
            state[f"sheet {sheet.application_id}:{sheet.reviewer_id}"] = sheet.version
        assert not sheet_log, f"audit entries of sheets that are not stored: {sorted(sheet_log)}"

        app_log = _entries_by_target(session, "application", APPLICATION_ACTIONS)
        self_log = _entries_by_target(session, "application", ("self_assessment.save",))
        for app_id, _ in plan.drafts:
            app = session.get(Application, app_id)
            replayed = {}
            for entry in app_log[str(app_id)]:
                replayed.update(_loaded(entry.after))
            stored = applications._fields_of(app)
            assert replayed == stored, f"application {app_id}: the audit log replays to {replayed}, stored {stored}"
            assert app.version == len(app_log[str(app_id)])
            state[f"application {app_id}"] = app.version
            row = session.get(SelfAssessment, app_id)
            logged = self_log.get(str(app_id), [])
            if row is None:
                assert logged == [], f"self-assessment of {app_id} logged but not stored"
                continue
            assert (json.loads(row.points), row.version) == (_loaded(logged[-1].after), len(logged))
            state[f"self {app_id}"] = row.version

        log = _entries_by_target(session, "attachment", ("attachment.add", "attachment.delete"))
        added = {i for i, es in log.items() if any(e.action == "attachment.add" for e in es)}
        deleted = {i for i, es in log.items() if any(e.action == "attachment.delete" for e in es)}
        rows = {a.id: a for a in session.scalars(select(Attachment))}
        assert set(rows) == added - deleted
        directory = Path(store.config.attachment_dir)
        for ident, row in rows.items():
            data = (directory / ident).read_bytes()  # no row without its file
            assert (len(data), hashlib.sha256(data).hexdigest()) == (row.size, row.sha256)
        state["attachments"] = (added, deleted, set(rows))
        return state

    return store.db.read(work)


def _check_files(store: Store, added: set[str], rows: set[str]) -> list[str]:
    """Files of uploads that never committed are removed; every file the log names stays."""
    removed = applications.remove_unreferenced_files(store, older_than=dt.timedelta(0))
    assert not set(removed) & added, "a committed attachment's file was removed"
    left = {p.name for p in Path(store.config.attachment_dir).iterdir()}
    assert rows <= left, "an attachment row lost its file"
    assert left == added, f"files no audit entry names: {sorted(left - added)}; named, missing: {added - left}"
    return removed


def _check_reported(lines: list[str], state: dict[str, object]) -> int:
    """Every unit the child reported committed is stored; returns how many it reported."""
    added, deleted, _ = state["attachments"]
    units = [line.split() for line in lines if line.startswith("ok ")]
    for _, kind, key, version in units:
        if kind == "attach":
            assert key in added
        elif kind == "detach":
            assert key in deleted
        else:
            assert state.get(f"{kind} {key}", 0) >= int(version), f"{kind} {key} v{version} was reported, then lost"
    return len(units)


def test_saves_killed_at_random_points_are_all_or_nothing(store, world, backend):
    plan = _plan(store, world)
    rng = random.Random(f"{SEED}-saves-{backend}")
    print(f"seed {SEED}: {SAVE_KILLS} kills during saves on {backend}")
    in_flight_committed = orphans = 0
    for run in range(SAVE_KILLS):
        before = _audit_count(store)
        child = Child(_save_loop, store.config, plan, run, before_fork=(store,))
        child.expect("ready")
        delay = rng.uniform(0.02, 0.6)
        time.sleep(delay)
        child.kill()
        lines = child.rest()
        assert not [line for line in lines if line.startswith("error")], lines

        _integrity_ok(store)
        state = _check_saves(store, plan)
        reported = _check_reported(lines, state)
        added, _, rows = state["attachments"]
        removed = _check_files(store, added, rows)
        new_entries = _audit_count(store) - before
        assert new_entries - reported in (0, 1), f"{reported} units reported but {new_entries} audit entries added"
        in_flight_committed += new_entries - reported
        orphans += len(removed)
        print(
            f"  kill {run + 1:2d} after {delay:.3f} s: {reported} units committed and reported, "
            f"the one in flight {'committed' if new_entries > reported else 'rolled back'}, "
            f"{len(removed)} unreferenced file(s) removed"
        )
    print(f"{SAVE_KILLS} kills: {in_flight_committed} in-flight units committed whole, the rest rolled back whole")


# -- imports ----------------------------------------------------------------------------------------


def _import_loop(report: Report, config: StoreConfig, admin: Actor, round_id: int, data: bytes, clock) -> None:
    store = Store(config, clock=clock, migrate=False)
    rounds.round_rubric(store, admin, round_id)  # connected, rubric parsed: work starts now
    report.line("ready")
    while True:
        outcome = imports.import_applications(store, admin, round_id, data)
        assert outcome.ok, outcome.problems
        report.line(f"ok import {outcome.imported}")


def _check_imports(store: Store, round_id: int) -> int:
    def work(session) -> int:
        references = set(session.scalars(select(Application.reference).where(Application.round_id == round_id)))
        logged = list(
            session.scalars(
                select(AuditEntry.target_id).where(
                    AuditEntry.round_id == round_id, AuditEntry.action == "application.import"
                )
            )
        )
        counter = session.get(ReviewRound, round_id).next_reference
        assert len(references) % IMPORT_ROWS == 0, f"a partial import: {len(references)} rows"
        assert sorted(logged) == sorted(references), "imported rows and their audit entries differ"
        assert references == {f"R{round_id}-{n:05d}" for n in range(1, counter)}, "reference counter out of step"
        return len(references)

    return store.db.read(work)


def test_imports_killed_at_random_points_are_all_or_nothing(store, world, tmp_path, backend):
    round_ = open_round(store, world)
    template = exports.applicant_template(store, world.admin, round_.id)
    data = fill(template, RUBRIC, [valid_row(RUBRIC, n) for n in range(IMPORT_ROWS)])

    started = time.perf_counter()  # one uninterrupted import measures how long parsing and writing take
    assert imports.import_applications(store, world.admin, round_.id, data).imported == IMPORT_ROWS
    duration = time.perf_counter() - started
    rng = random.Random(f"{SEED}-imports-{backend}")
    counts = [IMPORT_ROWS]
    print(f"seed {SEED}: an import of {IMPORT_ROWS} rows takes {duration:.2f} s; {IMPORT_KILLS} kills on {backend}")
    for run in range(IMPORT_KILLS):
        child = Child(_import_loop, store.config, world.admin, round_.id, data, store.clock, before_fork=(store,))
        child.expect("ready")
        delay = rng.uniform(0, 3 * duration)  # anywhere in the first three imports
        time.sleep(delay)
        child.kill()
        lines = child.rest()
        assert not [line for line in lines if line.startswith("error")], lines
        reported = sum(int(line.split()[2]) for line in lines if line.startswith("ok import"))

        _integrity_ok(store)
        total = _check_imports(store, round_.id)
        assert total - counts[-1] - reported in (0, IMPORT_ROWS), f"{reported} rows reported, {total} stored"
        counts.append(total)
        print(f"  kill {run + 1} after {delay:.2f} s: {total - counts[-2]} rows added")
    print(f"applications after each kill: {counts}")


def test_files_of_uploads_that_never_committed_are_removed_once_stale_and_every_other_file_kept(store, world):
    opened = open_round(store, world)
    applicant = world.applicants[0]
    draft = applications.create_application(store, applicant, opened.id, category="life")
    kept = applications.add_attachment(store, applicant, draft.id, filename="a.pdf", data=b"%PDF-1.7 kept")
    deleted = applications.add_attachment(store, applicant, draft.id, filename="b.pdf", data=b"%PDF-1.7 gone")
    applications.delete_attachment(store, applicant, deleted.id)
    directory = Path(store.config.attachment_dir)
    # What a process killed mid-upload leaves: a temporary file, or a renamed file whose row never committed.
    strays = {".0123456789abcdef0123456789abcdef.part": b"half", "fedcba9876543210fedcba9876543210": b"%PDF"}
    for name, data in strays.items():
        (directory / name).write_bytes(data)
    an_hour_ago = time.time() - 3700
    for path in directory.iterdir():
        os.utime(path, (an_hour_ago, an_hour_ago))
    (directory / "00000000000000000000000000000000").write_bytes(b"%PDF in flight")  # another upload, just now

    removed = applications.remove_unreferenced_files(store)

    assert sorted(removed) == sorted(strays)
    assert {p.name for p in directory.iterdir()} == {kept.id, deleted.id, "00000000000000000000000000000000"}
    assert applications.read_attachment(store, applicant, kept.id)[1] == b"%PDF-1.7 kept"
