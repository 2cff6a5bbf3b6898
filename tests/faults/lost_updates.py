"""Concurrent read-modify-write on one record from threads and processes, counting lost updates.

Each worker adds its own unique tokens to one shared text — a comment on one score sheet, or a
narrative of one draft application — the way a user in another tab would: read the record, append,
save naming the version read, and on `EditConflict` read again and redo the change. A token whose
save returned successfully but which is missing from the final text is a lost update.

`run_lost_update_trial(store, world, target=...)` runs one trial and returns a `LostUpdateResult`;
`trial_store(directory)` gives a fresh store with the standard people, so a report script can run
trials outside pytest:

    store, world = trial_store(Path(tempfile.mkdtemp()))          # or database_url="postgresql+psycopg://…"
    result = run_lost_update_trial(store, world, target="sheet")
    print(result.lost_updates, result.summary())

Threads share the given store (one app server); each process opens its own store on the same
database (another app server). Processes are forked before any thread starts.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from threading import Thread

from rubrics.schema import Rubric
from submissions import applications, reviews, rounds
from submissions.access import Actor
from submissions.config import StoreConfig
from submissions.errors import EditConflict, OperationError
from submissions.store import Store
from tests.faults.forked import Child, Report
from tests.submissions.store.scenario import assigned_pairs, reviewer_actor, round_under_review, valid_fields
from tests.submissions.store.world import World, build_world

TOKEN = re.compile(r"<w\d+t\d+>")
MAX_TRIES = 500  # per token: a worker that cannot get a save through gives up and says so


@dataclass
class WorkerLog:
    """What one worker saw: tokens whose save succeeded, conflicts it retried, errors that reached it."""

    added: list[str] = field(default_factory=list)
    saves: int = 0
    conflicts: int = 0
    errors: list[str] = field(default_factory=list)  # anything else, e.g. "StoreBusy: ..."

    def to_line(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)

    @classmethod
    def from_line(cls, line: str) -> WorkerLog:
        return cls(**json.loads(line))


@dataclass(frozen=True)
class LostUpdateResult:
    backend: str
    target: str  # "sheet" or "application"
    threads: int
    processes: int
    tokens_added: int  # saves that returned successfully
    tokens_present: int  # distinct tokens in the final text
    lost: tuple[str, ...]  # returned successfully, missing at the end
    duplicated: tuple[str, ...]  # present more than once (a save applied twice)
    unexpected: tuple[str, ...]  # present though no save of it returned successfully
    conflicts: int  # EditConflict seen and retried (expected under contention)
    errors: tuple[str, ...]  # anything else that reached a worker (StoreBusy, "database is locked", ...)
    seconds: float

    @property
    def lost_updates(self) -> int:
        return len(self.lost)

    def summary(self) -> str:
        return (
            f"{self.backend} {self.target}: {self.threads} threads + {self.processes} processes, "
            f"{self.tokens_added} updates saved, {self.tokens_present} present, {self.lost_updates} lost, "
            f"{len(self.duplicated)} applied twice, {self.conflicts} edit conflicts retried, "
            f"{len(self.errors)} errors reaching a user, {self.seconds:.1f} s"
        )


# -- the shared records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetText:
    """One criterion's comment on one reviewer's sheet (the same reviewer in several tabs)."""

    application_id: int
    reviewer: Actor
    criterion_id: str
    points: object

    def read(self, store: Store) -> tuple[str, int]:
        sheet = reviews.get_sheet(store, self.reviewer, self.application_id)
        entry = sheet.entries.get(self.criterion_id)
        return (entry.comment if entry else ""), sheet.version

    def write(self, store: Store, text: str, version: int) -> int:
        entries = {self.criterion_id: {"points": self.points, "comment": text}}
        saved = reviews.save_sheet(store, self.reviewer, self.application_id, entries=entries, seen_version=version)
        return saved.version


@dataclass(frozen=True)
class NarrativeText:
    """One criterion's narrative on one draft application (the same applicant in several tabs)."""

    application_id: int
    applicant: Actor
    criterion_id: str

    def read(self, store: Store) -> tuple[str, int]:
        app = applications.get_application(store, self.applicant, self.application_id)
        return app.narratives.get(self.criterion_id, ""), app.version

    def write(self, store: Store, text: str, version: int) -> int:
        current = applications.get_application(store, self.applicant, self.application_id).narratives
        changes = {"narratives": {**current, self.criterion_id: text}}
        return applications.save_application(
            store, self.applicant, self.application_id, seen_version=version, changes=changes
        ).version


def add_tokens(store: Store, record: SheetText | NarrativeText, tokens: list[str], log: WorkerLog) -> None:
    """Read, append a token, save with the version read; on `EditConflict` start over from the read."""
    for token in tokens:
        for _ in range(MAX_TRIES):
            try:
                text, version = record.read(store)
                record.write(store, text + token, version)
            except EditConflict:
                log.conflicts += 1
                continue
            except OperationError as exc:
                log.errors.append(f"{type(exc).__name__}: {exc.message('en')}")
                continue
            except Exception as exc:  # "database is locked" and the like must never get this far
                log.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            log.added.append(token)
            log.saves += 1
            break
        else:
            log.errors.append(f"gave up on {token} after {MAX_TRIES} tries")


# -- running workers in threads and processes -------------------------------------------------------

Job = Callable[[Store, WorkerLog], None]


def _process_worker(report: Report, config: StoreConfig, job: Job, start_at: float) -> None:
    store = Store(config, migrate=False)
    report.line("ready")
    log = WorkerLog()
    time.sleep(max(0.0, start_at - time.monotonic()))
    try:
        job(store, log)
    finally:
        report.line("log " + log.to_line())
        store.close()


def run_workers(store: Store, thread_jobs: list[Job], process_jobs: list[Job]) -> list[WorkerLog]:
    """Run every job at once: processes forked first (each with its own store), then the threads."""
    start_at = time.monotonic() + 0.3 + 0.05 * len(process_jobs)
    children = [Child(_process_worker, store.config, job, start_at, before_fork=(store,)) for job in process_jobs]
    for child in children:
        child.expect("ready")
    logs = [WorkerLog() for _ in thread_jobs]

    def run(job: Job, log: WorkerLog) -> None:
        time.sleep(max(0.0, start_at - time.monotonic()))
        job(store, log)

    threads = [Thread(target=run, args=(job, log)) for job, log in zip(thread_jobs, logs, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for child in children:
        lines = child.finish()
        logs.append(WorkerLog.from_line(next(line[4:] for line in lines if line.startswith("log "))))
    return logs


# -- the trial ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Records:
    """A round under review (sheets) and an open round with one draft per applicant."""

    rubric: Rubric
    sheets: tuple[tuple[int, Actor], ...]
    drafts: tuple[tuple[int, Actor], ...]

    def sheet_text(self, index: int = 0) -> SheetText:
        app_id, reviewer = self.sheets[index]
        criterion = next(c for c in self.rubric.criteria if c.method == "judged" and c.id not in self.rubric.bonus_ids)
        return SheetText(app_id, reviewer, criterion.id, criterion.max_points / 2)

    def narrative_text(self, index: int = 0) -> NarrativeText:
        app_id, applicant = self.drafts[index]
        criterion = next(c for c in self.rubric.criteria if c.method == "judged")
        return NarrativeText(app_id, applicant, criterion.id)


def prepare_records(store: Store, world: World, *, per_applicant: int = 2) -> Records:
    under_review, _ = round_under_review(store, world, per_applicant=per_applicant, per_application=3)
    rubric = rounds.round_rubric(store, world.admin, under_review.id)
    sheets = tuple((a, reviewer_actor(world, r)) for a, r in assigned_pairs(store, world, under_review.id))
    created = rounds.create_round(store, world.admin, name="并发申报轮", rubric_id=rubric.id)
    opened = rounds.advance(store, world.admin, created.id, to_state="open", seen_version=created.version)
    drafts = []
    for applicant in world.applicants:
        draft = applications.create_application(store, applicant, opened.id, category=rubric.categories[0].id)
        fields = valid_fields(rubric, region=applicant.region or "广东")
        applications.save_application(store, applicant, draft.id, seen_version=draft.version, changes=fields)
        drafts.append((draft.id, applicant))
    return Records(rubric, sheets, tuple(drafts))


def _token_job(record: SheetText | NarrativeText, worker: int, count: int) -> Job:
    return lambda store, log: add_tokens(store, record, [f"<w{worker:02d}t{n:02d}>" for n in range(count)], log)


def run_lost_update_trial(
    store: Store,
    world: World,
    *,
    target: str = "sheet",
    threads: int = 8,
    processes: int = 4,
    tokens_per_worker: int = 5,
    records: Records | None = None,
) -> LostUpdateResult:
    """Every worker adds `tokens_per_worker` tokens to the same record; count what went missing."""
    records = records or prepare_records(store, world)
    record = records.sheet_text() if target == "sheet" else records.narrative_text()
    jobs = [_token_job(record, w, tokens_per_worker) for w in range(threads + processes)]
    started = time.perf_counter()
    logs = run_workers(store, jobs[:threads], jobs[threads:])
    seconds = time.perf_counter() - started
    final, _ = record.read(store)
    found = TOKEN.findall(final)
    added = [t for log in logs for t in log.added]
    return LostUpdateResult(
        backend=store.db.dialect,
        target=target,
        threads=threads,
        processes=processes,
        tokens_added=len(added),
        tokens_present=len(set(found)),
        lost=tuple(sorted(set(added) - set(found))),
        duplicated=tuple(sorted({t for t in found if found.count(t) > 1})),
        unexpected=tuple(sorted(set(found) - set(added))),
        conflicts=sum(log.conflicts for log in logs),
        errors=tuple(e for log in logs for e in log.errors),
        seconds=seconds,
    )


def trial_store(directory: Path, database_url: str | None = None) -> tuple[Store, World]:
    """A new store in `directory` (SQLite there, or the given empty database) with the standard people."""
    store = Store(StoreConfig.for_directory(directory, database_url))
    return store, build_world(store)
