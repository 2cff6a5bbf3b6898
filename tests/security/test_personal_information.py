"""Personal information (PIPL): classified fields, redacted exports, retention and purge, a person's copy."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from submissions import accounts, applications, cli, exports, privacy, ranking, reviews, rounds
from submissions.errors import AccessDenied, LoginFailed, OperationError, SubmissionError
from submissions.models import Application, Attachment, AuditEntry, Conflict, ScoreSheet
from tests.submissions.store.scenario import assigned_pairs, reviewer_actor, round_under_review, score_everything
from tests.submissions.store.world import ORGANISATIONS, PASSWORD, REVIEWERS

AFTER_RETENTION = dt.date(2030, 1, 1)  # the world's clock starts in November 2026: rounds keep data to 2029


def workbook_strings(data: bytes) -> set[str]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    found = {str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v}
    book.close()
    return found


def sheet_rows(data: bytes, title: str) -> list[tuple]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book[title].iter_rows(values_only=True))
    book.close()
    return rows


def denials(store, action: str) -> int:
    return store.db.read(
        lambda s: s.scalar(select(func.count()).where(AuditEntry.action == action, AuditEntry.outcome == "denied"))
    )


def exports_logged(store, action: str) -> list[dict]:
    rows = store.db.read(
        lambda s: s.scalars(
            select(AuditEntry.after).where(AuditEntry.action == action, AuditEntry.outcome == "ok")
        ).all()
    )
    return [json.loads(r) for r in rows]


@pytest.fixture
def scored_round(store, world):
    """A round whose settings name reviewers in exports, fully scored, with comments and a conflict reason."""
    round_, submitted = round_under_review(store, world, reviewer_identity="named")
    score_everything(store, world, round_.id)
    return round_, submitted


# -- classification ---------------------------------------------------------------------------------


def test_every_stored_column_is_classified_for_personal_information():
    assert privacy.unclassified_columns() == []
    personal = {(t, c) for t, c, _ in privacy.personal_fields()}
    assert {("users", "display_name"), ("users", "password_hash"), ("score_sheets", "comments")} <= personal
    assert ("applications", "narratives") in personal
    assert ("rounds", "name") not in personal


def test_command_line_lists_the_personal_fields(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["personal-fields"], env={"APP_DATA_DIR": str(tmp_path)}, stdout=out, stderr=err)
    assert code == cli.EXIT_OK, err.getvalue()
    lines = out.getvalue().splitlines()
    assert "users.display_name\tidentifier\t个人身份信息" in lines
    assert len(lines) == len(privacy.personal_fields())


# -- export profiles ------------------------------------------------------------------------------


def test_ranking_export_is_redacted_by_default_even_when_the_round_names_reviewers(store, world, scored_round):
    round_, _ = scored_round
    names = {name for name, _, _ in REVIEWERS}

    redacted = workbook_strings(exports.ranking_export(store, world.admin, round_.id))
    full = workbook_strings(
        exports.ranking_export(store, world.admin, round_.id, profile="full", purpose="报送省工信厅备案")
    )

    assert not names & redacted
    assert any(s.startswith("专家0") for s in redacted)
    assert names & full


def test_full_export_without_a_purpose_is_refused_and_not_logged(store, world, scored_round):
    round_, _ = scored_round
    for purpose in ("", "   "):
        with pytest.raises(SubmissionError) as refused:
            exports.ranking_export(store, world.admin, round_.id, profile="full", purpose=purpose)
        assert refused.value.problems[0].field == "purpose"
        assert "用途" in refused.value.problems[0].message_zh
    with pytest.raises(SubmissionError):
        exports.ranking_export(store, world.admin, round_.id, profile="everything")
    assert exports_logged(store, "export.ranking") == []


def test_every_ranking_export_is_logged_with_its_profile_and_purpose(store, world, scored_round):
    round_, _ = scored_round
    exports.ranking_export(store, world.admin, round_.id, kind="csv")
    exports.ranking_export(store, world.admin, round_.id, profile="full", purpose="归档")

    logged = exports_logged(store, "export.ranking")
    assert [(e["kind"], e["profile"], e["purpose"]) for e in logged] == [
        ("csv", "redacted", ""),
        ("xlsx", "full", "归档"),
    ]


def test_templates_and_personal_copies_are_logged_as_exports(store, world, scored_round):
    round_, _ = scored_round
    reviewer_id = assigned_pairs(store, world, round_.id)[0][1]
    exports.applicant_template(store, world.admin, round_.id)
    exports.reviewer_template(store, reviewer_actor(world, reviewer_id), round_.id)
    privacy.subject_access_export(store, world.applicants[0])

    for action in ("export.application_template", "export.reviewer_template", "export.subject_access"):
        assert len(exports_logged(store, action)) == 1, action


# -- retention ------------------------------------------------------------------------------------


def test_new_round_keeps_personal_information_for_three_years(store, world, clock):
    created = rounds.create_round(store, world.admin, name="保留期限测试", rubric_id="project_life")
    assert created.retention_until == dt.date(clock.now.year + 3, clock.now.month, clock.now.day)


def test_only_admins_set_the_retention_date_and_refusals_are_logged(store, world):
    created = rounds.create_round(store, world.admin, name="保留期限测试", rubric_id="project_life")
    for someone in (world.applicants[0], world.reviewers[0]):
        with pytest.raises(AccessDenied):
            privacy.set_retention(store, someone, created.id, until=dt.date(2040, 1, 1))
    assert denials(store, "privacy.retention") == 2
    assert rounds.get_round(store, world.admin, created.id).retention_until == created.retention_until

    privacy.set_retention(store, world.admin, created.id, until=dt.date(2031, 6, 30))
    assert rounds.get_round(store, world.admin, created.id).retention_until == dt.date(2031, 6, 30)
    with pytest.raises(SubmissionError):
        privacy.set_retention(store, world.admin, created.id, until=dt.date(2020, 1, 1))


def test_purge_before_the_retention_date_is_refused_and_changes_nothing(store, world, scored_round):
    round_, _ = scored_round
    before = store.db.read(lambda s: s.scalars(select(ScoreSheet.comments)).all())
    with pytest.raises(privacy.RetentionNotReached) as refused:
        privacy.purge_round(store, world.admin, round_.id)
    assert round_.retention_until.isoformat() in refused.value.message("zh")
    assert store.db.read(lambda s: s.scalars(select(ScoreSheet.comments)).all()) == before


def _with_attachment_and_conflict(store, world, round_id: int) -> tuple[int, str]:
    applicant = world.applicants[0]
    category = rounds.round_rubric(store, world.admin, round_id).categories[0].id
    draft = applications.create_application(
        store, applicant, round_id, category=category, title="附件测试", region="广东"
    )
    file = applications.add_attachment(store, applicant, draft.id, filename="证明材料.pdf", data=b"%PDF-1.4 test")
    return draft.id, file.id


def test_anonymising_a_round_removes_free_text_attachments_and_audit_content_but_keeps_the_ranking(
    store, world, backend
):
    opened = rounds.create_round(store, world.admin, name="匿名化", rubric_id="project_life")
    opened = rounds.advance(store, world.admin, opened.id, to_state="open", seen_version=opened.version)
    _, attachment_id = _with_attachment_and_conflict(store, world, opened.id)
    round_, _ = _reviewed(store, world, opened.id)
    score_everything(store, world, round_.id)
    app_id, reviewer_id = assigned_pairs(store, world, round_.id)[0]
    reviews.declare_conflict(store, reviewer_actor(world, reviewer_id), app_id, reason="与申报单位负责人是亲属")
    ranked_before = ranked_totals(store, world, round_.id)
    audit_before = store.db.read(lambda s: s.scalar(select(func.count()).select_from(AuditEntry)))
    assert (store.config.attachment_dir / attachment_id).exists()

    report = privacy.purge_round(store, world.admin, round_.id, mode="anonymise", today=AFTER_RETENTION)

    assert report.attachments == 1 and report.sheets > 0
    assert not (store.config.attachment_dir / attachment_id).exists()

    def stored(session):
        apps = session.scalars(select(Application).where(Application.round_id == round_.id)).all()
        sheets = session.scalars(select(ScoreSheet).where(ScoreSheet.round_id == round_.id)).all()
        reasons = session.scalars(select(Conflict.reason).where(Conflict.round_id == round_.id)).all()
        files = session.scalar(select(func.count()).select_from(Attachment))
        contents = session.execute(
            select(AuditEntry.action, AuditEntry.before, AuditEntry.after).where(AuditEntry.round_id == round_.id)
        ).all()
        return apps, sheets, reasons, files, contents

    apps, sheets, reasons, files, contents = store.db.read(stored)
    assert apps and all(a.narratives == "{}" and a.evidence == "{}" for a in apps)
    assert all(a.indicators != "{}" for a in apps if a.status == "submitted")
    assert sheets and all(s.comments == "{}" for s in sheets)
    assert reasons and all(r == "" for r in reasons)
    assert files == 0
    purge_entry = [c for c in contents if c.action == "privacy.purge"]
    assert len(purge_entry) == 1
    assert all(c.before is None and c.after is None for c in contents if c.action != "privacy.purge")
    assert store.db.read(lambda s: s.scalar(select(func.count()).select_from(AuditEntry))) == audit_before + 1
    assert ranked_totals(store, world, round_.id) == ranked_before
    with pytest.raises(OperationError):
        privacy.purge_round(store, world.admin, round_.id, today=AFTER_RETENTION)


def ranked_totals(store, world, round_id: int) -> list:
    table = ranking.rank_round(store, world.admin, round_id).evaluation.table.set_index("application_id")
    return table.sort_index()[["total", "rank"]].to_numpy().tolist()


def _reviewed(store, world, round_id: int):
    from submissions import assignments
    from tests.submissions.store.scenario import submit_application

    submitted = [submit_application(store, world, round_id, i, title=f"项目{i}") for i in range(len(world.applicants))]
    assignments.apply_assignment(store, world.admin, round_id, seed=1)
    current = rounds.get_round(store, world.admin, round_id)
    moved = rounds.advance(store, world.admin, round_id, to_state="under_review", seen_version=current.version)
    return moved, submitted


def test_deleting_a_round_removes_its_applications_and_keeps_a_redacted_audit_trail(store, world, scored_round):
    round_, _ = scored_round
    entries_before = store.db.read(lambda s: s.scalar(select(func.count()).where(AuditEntry.round_id == round_.id)))
    privacy.purge_round(store, world.admin, round_.id, mode="delete", today=AFTER_RETENTION)

    def left(session):
        return (
            session.scalar(select(func.count()).where(Application.round_id == round_.id)),
            session.scalar(select(func.count()).where(ScoreSheet.round_id == round_.id)),
            session.scalar(select(func.count()).where(AuditEntry.round_id == round_.id)),
        )

    assert store.db.read(left) == (0, 0, entries_before + 1)
    assert rounds.get_round(store, world.admin, round_.id).purged_at is not None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor_label = 'someone else' WHERE id = {id}",
        "UPDATE audit_log SET after = '{{}}' WHERE id = {id}",
        "UPDATE audit_log SET action = 'tampered', after = NULL WHERE id = {id}",
        "UPDATE audit_log SET round_id = NULL, before = NULL WHERE id = {id}",
    ],
)
def test_audit_log_accepts_redaction_and_nothing_else(store, world, statement):
    newest = store.db.read(lambda s: s.scalar(select(func.max(AuditEntry.id)).where(AuditEntry.after.is_not(None))))
    with pytest.raises(DBAPIError) as refused, store.db.engine.begin() as connection:
        connection.execute(text(statement.format(id=newest)))
    assert "audit_log is append-only" in str(refused.value)
    with store.db.engine.begin() as connection:
        connection.execute(text(f"UPDATE audit_log SET after = NULL WHERE id = {newest}"))
    assert store.db.read(lambda s: s.get(AuditEntry, newest).after) is None


def test_only_admins_or_the_operator_purge_and_refusals_are_logged(store, world, scored_round):
    round_, _ = scored_round
    with pytest.raises(AccessDenied):
        privacy.purge_round(store, world.reviewers[1], round_.id, today=AFTER_RETENTION)
    assert denials(store, "privacy.purge") == 1
    assert rounds.get_round(store, world.admin, round_.id).purged_at is None


def test_command_line_purges_only_rounds_past_their_retention_date(store, world, scored_round):
    round_, _ = scored_round
    kept = rounds.create_round(store, world.admin, name="仍在保留期", rubric_id="project_life")
    privacy.set_retention(store, world.admin, kept.id, until=dt.date(2035, 1, 1))
    # The command line reads today's date from the real clock, which is past the round's creation day.
    privacy.set_retention(store, world.admin, round_.id, until=round_.created_at.date())
    env = {"APP_DATA_DIR": str(store.config.data_dir), "APP_DATABASE_URL": store.config.database_url}

    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["retention"], env=env, stdout=out, stderr=err) == cli.EXIT_OK, err.getvalue()
    assert f"round {kept.id}" in out.getvalue()

    out = io.StringIO()
    assert cli.main(["purge", "--due", "--dry-run"], env=env, stdout=out, stderr=err) == cli.EXIT_OK, err.getvalue()
    assert rounds.get_round(store, world.admin, round_.id).purged_at is None
    assert "would remove" in out.getvalue()

    out = io.StringIO()
    assert cli.main(["purge", "--due"], env=env, stdout=out, stderr=err) == cli.EXIT_OK, err.getvalue()
    assert f"round {round_.id} (anonymise): removed" in out.getvalue()
    assert f"round {kept.id}" not in out.getvalue()
    assert rounds.get_round(store, world.admin, kept.id).purged_at is None
    assert rounds.get_round(store, world.admin, round_.id).purged_at is not None

    err = io.StringIO()
    assert cli.main(["purge", "--round", str(kept.id)], env=env, stdout=io.StringIO(), stderr=err) == cli.EXIT_USAGE
    assert "2035-01-01" in err.getvalue()


# -- accounts ---------------------------------------------------------------------------------------


def test_disabled_account_is_anonymised_everywhere_and_can_no_longer_sign_in(store, world):
    reviewer = world.reviewers[2]
    accounts.logout(store, accounts.login(store, reviewer.username, PASSWORD))  # both are logged under their name
    with pytest.raises(privacy.AccountStillActive):
        privacy.anonymise_user(store, world.admin, reviewer.user_id)
    accounts.set_active(store, world.admin, reviewer.user_id, active=False)
    labels_before = store.db.read(
        lambda s: s.scalar(select(func.count()).where(AuditEntry.actor_id == reviewer.user_id))
    )

    pseudonym = privacy.anonymise_user(store, world.admin, reviewer.user_id)

    assert pseudonym == f"user#{reviewer.user_id}"
    labels = store.db.read(
        lambda s: s.scalars(select(AuditEntry.actor_label).where(AuditEntry.actor_id == reviewer.user_id)).all()
    )
    assert labels_before >= 2 and len(labels) == labels_before and set(labels) == {pseudonym}
    directory = accounts.user_directory(store, world.admin)
    assert reviewer.display_name not in set(directory["display_name"])
    with pytest.raises(LoginFailed):
        accounts.login(store, reviewer.username, PASSWORD)


# -- subject access ---------------------------------------------------------------------------------


def test_applicant_copy_holds_their_organisation_data_and_nobody_elses(store, world, scored_round):
    _, submitted = scored_round
    mine = world.applicants[0]

    data = privacy.subject_access_export(store, mine, lang="en")

    strings = workbook_strings(data)
    assert mine.username in strings and mine.display_name in strings
    assert ORGANISATIONS[0][0] in strings and ORGANISATIONS[1][0] not in strings
    own_titles = {a.title for a in submitted if a.organisation_id == world.organisation_ids[0]}
    other_titles = {a.title for a in submitted if a.organisation_id != world.organisation_ids[0]}
    assert own_titles <= strings and not other_titles & strings
    assert not {name for name, _, _ in REVIEWERS} & strings
    assert not any(s.startswith("$argon2") for s in strings)
    actions = {row[1] for row in sheet_rows(data, "Activity")[1:]}
    assert {"application.create", "application.submit"} <= actions


def test_reviewer_copy_holds_their_own_sheets_only(store, world, scored_round):
    round_, _ = scored_round
    reviewer_id = assigned_pairs(store, world, round_.id)[0][1]
    me = reviewer_actor(world, reviewer_id)
    mine = store.db.read(lambda s: s.scalar(select(func.count()).where(ScoreSheet.reviewer_id == reviewer_id)))

    rows = sheet_rows(privacy.subject_access_export(store, me), "评分")

    assert len(rows) - 1 == mine


def test_nobody_but_an_admin_gets_someone_elses_copy_and_refusals_are_logged(store, world):
    with pytest.raises(AccessDenied):
        privacy.subject_access_export(store, world.applicants[0], user_id=world.applicants[1].user_id)
    with pytest.raises(AccessDenied):
        privacy.subject_access_export(store, world.reviewers[0], user_id=world.admin.user_id)
    assert denials(store, "export.subject_access") == 2
    assert exports_logged(store, "export.subject_access") == []

    data = privacy.subject_access_export(store, world.admin, user_id=world.applicants[1].user_id)
    assert world.applicants[1].username in workbook_strings(data)


def test_command_line_writes_a_copy_for_a_named_person(store, world, tmp_path):
    env = {"APP_DATA_DIR": str(store.config.data_dir), "APP_DATABASE_URL": store.config.database_url}
    target = tmp_path / "copy.xlsx"
    out, err = io.StringIO(), io.StringIO()
    username = world.applicants[0].username
    code = cli.main(["subject-access", "--user", username, "--out", str(target)], env=env, stdout=out, stderr=err)
    assert code == cli.EXIT_OK, err.getvalue()
    assert username in workbook_strings(target.read_bytes())
    again = cli.main(["subject-access", "--user", username, "--out", str(target)], env=env, stdout=out, stderr=err)
    assert again == cli.EXIT_USAGE  # never overwrites a file


def test_a_missing_caller_is_an_error_not_the_operator(store, world, scored_round):
    round_, _ = scored_round
    with pytest.raises(TypeError):
        privacy.purge_round(store, None, round_.id, today=AFTER_RETENTION)
    with pytest.raises(TypeError):
        privacy.subject_access_export(store, None, user_id=world.applicants[0].user_id)
    assert rounds.get_round(store, world.admin, round_.id).purged_at is None


def test_command_line_sets_a_retention_date_and_refuses_a_missing_round(store, world, scored_round):
    round_, _ = scored_round
    env = {"APP_DATA_DIR": str(store.config.data_dir), "APP_DATABASE_URL": store.config.database_url}
    out, err = io.StringIO(), io.StringIO()

    code = cli.main(["retention", "--set", str(round_.id), "2031-03-31"], env=env, stdout=out, stderr=err)

    assert code == cli.EXIT_OK, err.getvalue()
    assert "keep until 2031-03-31" in out.getvalue()
    assert rounds.get_round(store, world.admin, round_.id).retention_until == dt.date(2031, 3, 31)
    assert len(exports_logged(store, "privacy.retention")) == 1
    err = io.StringIO()
    assert cli.main(["retention", "--set", "999", "2031-03-31"], env=env, stdout=out, stderr=err) == cli.EXIT_USAGE
    assert "there is no round 999" in err.getvalue()
