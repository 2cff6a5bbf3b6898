"""Disk full: a clear refusal, nothing half-written, earlier data intact, reads go on, and writes resume.

The disk is "filled" in a forked child with a file size limit (`ulimit -f`: RLIMIT_FSIZE, with
SIGXFSZ ignored so a write past the limit fails with EFBIG instead of killing the process). The
child saves large narratives (or long score-sheet comments) until the store refuses with
`StorageFull`, tries the other kinds of save while full, reads everything back, lifts the limit and
saves again; it reports every outcome. The parent then checks the database (integrity_check, what
is stored against what the child reported) and the attachment folder.

On PostgreSQL the database is on the server, whose disk a client cannot fill: there the attachment
files (on the app server's disk) are filled the same way, and the server's "disk full" (SQLSTATE
53100) is raised by the server itself inside a unit of work.
"""

from __future__ import annotations

import hashlib
import json
import resource
import signal
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from submissions import applications, reviews, rounds
from submissions.config import StoreConfig
from submissions.errors import StorageFull
from submissions.models import Attachment, AuditEntry
from submissions.store import Store
from tests.faults.forked import Child, Report
from tests.submissions.store.scenario import assigned_pairs, open_round, reviewer_actor, round_under_review

HEADROOM = 1_500_000  # bytes the largest file may still grow by before the limit
BIG_ATTACHMENT = b"%PDF-1.7\n" + b"\x00\x01 attachment bytes " * 250_000  # 5 MB: past any file's limit
SMALL_ATTACHMENT = b"%PDF-1.7\n small"
MAX_SAVES = 200


def _limit_unavailable() -> str | None:
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (10_000_000, hard))
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    except (ValueError, OSError) as exc:
        return f"this machine does not let a process set its file size limit (RLIMIT_FSIZE): {exc}"
    return None


@pytest.fixture(autouse=True)
def file_size_limit_allowed():
    reason = _limit_unavailable()
    if reason:
        print(reason)
        pytest.skip(reason)


def _narrative(n: int) -> str:
    """A narrative near the 20,000-character cap (about 60 KB in UTF-8), different for every n."""
    return (f"第{n}版:" + "项目建设内容、实施进度与成效说明。" * 1200)[:19_900]


def _comment(n: int) -> str:
    return (f"第{n}条评语:" + "论证充分,数据翔实,建议关注推广可行性。" * 300)[:4_900]


def _entries(rubric, n: int) -> dict:
    judged = [c for c in rubric.criteria if c.method == "judged" and c.id not in rubric.bonus_ids]
    return {c.id: {"points": c.max_points / 2, "comment": _comment(n)} for c in judged}


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def _largest_file(directory: Path) -> int:
    return max((p.stat().st_size for p in directory.rglob("*") if p.is_file()), default=0)


def _upload_past_the_limit(report: Report, config: StoreConfig, applicant, app_id: int) -> None:
    """In the child: a file larger than the limit is refused, a small one goes through, then the large one."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    store = Store(config, migrate=False)
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (_largest_file(config.data_dir) + HEADROOM, hard))
    for step, data in (("big", BIG_ATTACHMENT), ("small", SMALL_ATTACHMENT), ("lifted", BIG_ATTACHMENT)):
        if step == "lifted":
            resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
        try:
            added = applications.add_attachment(store, applicant, app_id, filename=f"{step}.pdf", data=data)
            report.line(f"ok {step} {added.id}")
        except StorageFull as exc:
            report.line(f"full {step} {exc.message('en')}")
    store.close()


def _fill_until_full(report: Report, config: StoreConfig, plan: dict, filler: str) -> None:
    """In the child: limit file sizes, save until refused, try the rest while full, read, lift, save again."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    store = Store(config, migrate=False)
    applicant, app_id, criterion = plan["applicant"], plan["application"], plan["criterion"]
    sheets, rubric = plan["sheets"], plan["rubric"]
    versions = {i: 0 for i in range(len(sheets))}
    app = applications.get_application(store, applicant, app_id)
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (_largest_file(config.data_dir) + HEADROOM, hard))

    def save_narrative(n: int):
        nonlocal app
        changes = {"narratives": {**app.narratives, criterion: _narrative(n)}}
        app = applications.save_application(store, applicant, app_id, seen_version=app.version, changes=changes)
        return f"application {app.version} {_digest(app.narratives)}"

    def save_sheet(n: int):
        i = n % len(sheets)
        reviewer, sheet_app = sheets[i]
        saved = reviews.save_sheet(store, reviewer, sheet_app, entries=_entries(rubric, n), seen_version=versions[i])
        versions[i] = saved.version
        return f"sheet {i} {saved.version} {_digest({k: e.comment for k, e in saved.entries.items()})}"

    def upload(data: bytes):
        return f"attachment {applications.add_attachment(store, applicant, app_id, filename='f.pdf', data=data).id}"

    def attempt(what: str, call) -> bool:
        try:
            report.line(f"ok {what} {call()}")
            return True
        except StorageFull as exc:
            report.line(f"full {what} " + json.dumps([exc.message("zh"), exc.message("en")], ensure_ascii=False))
            return False

    fill = save_narrative if filler == "narrative" else save_sheet
    for n in range(MAX_SAVES):
        if not attempt(f"fill{n}", lambda n=n: fill(n)):
            break
    attempt("narrative-while-full", lambda: save_narrative(MAX_SAVES + 1))
    attempt("sheet-while-full", lambda: save_sheet(MAX_SAVES + 2))
    attempt("upload-while-full", lambda: upload(BIG_ATTACHMENT))
    # Reads while full: what the last successful saves left.
    read = applications.get_application(store, applicant, app_id)
    report.line(f"read while-full application {read.version} {_digest(read.narratives)}")
    for i, (reviewer, sheet_app) in enumerate(sheets):
        sheet = reviews.get_sheet(store, reviewer, sheet_app)
        comments = {k: e.comment for k, e in sheet.entries.items()}
        report.line(f"read while-full sheet {i} {sheet.version} {_digest(comments)}")

    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    attempt("narrative-after", lambda: save_narrative(MAX_SAVES + 3))
    attempt("sheet-after", lambda: save_sheet(MAX_SAVES + 4))
    attempt("upload-after", lambda: upload(BIG_ATTACHMENT))
    store.close()


def _plan(store: Store, world) -> dict:
    round_, _ = round_under_review(store, world, per_applicant=1, per_application=2)
    rubric = rounds.round_rubric(store, world.admin, round_.id)
    sheets = [(reviewer_actor(world, r), a) for a, r in assigned_pairs(store, world, round_.id)]
    opened = rounds.create_round(store, world.admin, name="磁盘已满", rubric_id="project_life")
    opened = rounds.advance(store, world.admin, opened.id, to_state="open", seen_version=opened.version)
    applicant = world.applicants[0]
    draft = applications.create_application(store, applicant, opened.id, category="life", title="大篇幅申报")
    criterion = next(c.id for c in rubric.criteria if c.method == "judged")
    return {
        "applicant": applicant,
        "application": draft.id,
        "criterion": criterion,
        "sheets": sheets,
        "rubric": rubric,
    }


def _record(fields: list[str]) -> tuple[str, tuple[str, ...]]:
    """("application", (version, digest)), ("sheet 3", (version, digest)) or ("attachment", (id,))."""
    if fields[0] == "sheet":
        return f"sheet {fields[1]}", tuple(fields[2:])
    return fields[0], tuple(fields[1:])


def _replay(lines: list[str]) -> tuple[dict[str, tuple[str, ...]], list[str], int]:
    """The state the child's successful saves left, checking each read against it on the way.

    Returns (state, the steps refused as full, how many saves succeeded).
    """
    state: dict[str, tuple[str, ...]] = {"application": ("1", _digest({}))}  # a new draft; sheets not yet saved
    refused, saves = [], 0
    for line in lines:
        verdict, what, rest = line.split(" ", 2)
        if verdict == "full":
            refused.append(what)
            continue
        key, value = _record(rest.split(" "))
        if verdict == "ok":
            state[key] = value
            saves += 1
        else:  # a read while the disk was full shows the last successful save
            expected = state.get(key, ("0", _digest({})))
            assert value == expected, f"read {key} gave {value}, the last save left {expected}"
    return state, refused, saves


def _audit_count(store: Store) -> int:
    return store.db.read(lambda s: s.scalar(select(func.count()).select_from(AuditEntry)))


@pytest.mark.parametrize("backend", ["sqlite"])  # PostgreSQL's disk is the server's: see the 53100 test
@pytest.mark.parametrize("filler", ["narrative", "sheets"])
def test_saves_until_the_disk_is_full_fail_clearly_keep_earlier_data_and_resume_once_space_returns(
    store, world, filler
):
    plan = _plan(store, world)
    logged_before = _audit_count(store)

    child = Child(_fill_until_full, store.config, plan, filler, before_fork=(store,))
    lines = child.finish()
    print("\n".join(line[:150] for line in lines))
    state, refused, saves = _replay(lines)

    refusal = next(line for line in lines if line.startswith("full "))
    zh, en = json.loads(refusal.split(" ", 2)[2])
    assert (zh, en) == (StorageFull().message("zh"), StorageFull().message("en"))
    assert "存储空间已满" in zh and "未保存" in zh and "不受影响" in zh
    assert "storage is full" in en and "nothing was saved" in en and "intact" in en
    filled = [line for line in lines if line.startswith("ok fill")]
    assert filled and refused[0] == f"fill{len(filled)}"  # saves went through until the disk was full
    assert "upload-while-full" in refused  # a file past the limit is refused as full too
    assert not {"narrative-after", "sheet-after", "upload-after"} & set(refused)  # writes resume with space
    with sqlite3.connect(store.config.data_dir / "review.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    # The store holds exactly what the successful saves left, each with its one audit entry.
    applicant, app_id = plan["applicant"], plan["application"]
    app = applications.get_application(store, applicant, app_id)
    assert (str(app.version), _digest(app.narratives)) == state["application"]
    for i, (reviewer, sheet_app) in enumerate(plan["sheets"]):
        sheet = reviews.get_sheet(store, reviewer, sheet_app)
        comments = {k: e.comment for k, e in sheet.entries.items()}
        assert (str(sheet.version), _digest(comments)) == state.get(f"sheet {i}", ("0", _digest({})))
    assert _audit_count(store) - logged_before == saves
    # Every attachment file is a row's, with its bytes; the refused upload left nothing behind.
    rows = store.db.read(lambda s: set(s.scalars(select(Attachment.id))))
    assert {p.name for p in Path(store.config.attachment_dir).iterdir()} == rows == {state["attachment"][0]}
    assert applications.read_attachment(store, applicant, state["attachment"][0])[1] == BIG_ATTACHMENT


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_postgresql_disk_full_error_is_refused_as_storage_full_with_nothing_written(store):
    before = store.db.read(lambda s: s.scalar(select(func.count()).select_from(AuditEntry)))

    def work(session):
        session.add(AuditEntry(at=store.now(), actor_label="test", action="probe", outcome="ok", target_type="-"))
        session.flush()
        session.execute(text("DO $$ BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = '53100'; END $$"))

    with pytest.raises(StorageFull):
        store.db.write(work)

    assert store.db.retries == 0  # a full disk is not retried: retrying cannot help
    assert store.db.read(lambda s: s.scalar(select(func.count()).select_from(AuditEntry))) == before


def test_an_upload_past_the_disk_limit_is_refused_as_storage_full_and_leaves_no_file(store, world):
    opened = open_round(store, world)
    applicant = world.applicants[0]
    draft = applications.create_application(store, applicant, opened.id, category="life", title="附件")

    lines = Child(_upload_past_the_limit, store.config, applicant, draft.id, before_fork=(store,)).finish()

    outcomes = dict(line.split(" ", 2)[1::-1] for line in lines)
    assert outcomes == {"big": "full", "small": "ok", "lifted": "ok"}, lines
    assert lines[0] == f"full big {StorageFull().message('en')}"
    stored = {a.filename: a.id for a in applications.get_application(store, applicant, draft.id).attachments}
    assert sorted(stored) == ["lifted.pdf", "small.pdf"]
    assert {p.name for p in Path(store.config.attachment_dir).iterdir()} == set(stored.values())
    assert applications.read_attachment(store, applicant, stored["small.pdf"])[1] == SMALL_ATTACHMENT
    assert applications.read_attachment(store, applicant, stored["lifted.pdf"])[1] == BIG_ATTACHMENT
