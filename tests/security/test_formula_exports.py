"""Formula-starting text in every user-controlled field, and every export the product offers.

A round is built through the services with `=HYPERLINK(...)`, `+1+1`, `-2+3`, `@SUM(A1)`, TAB,
CR, a DDE payload and a full-width `＝` in the round's name, its regions and its uploaded rubric
(title, categories, dimensions, criteria, indicators, bands, gates), organisation names, user
names, titles, narratives, evidence, comments, conflict and reopen reasons. Then every export is
produced: the ranking workbook and CSV in both languages and every aggregation method, the
applicant template, each reviewer's offline workbook, the accounts template, the error workbooks
of the three imports (from uploads holding that text, as text and as real formulas), and the
command line's ranking (CSV and XLSX). Every cell of every sheet and every CSV cell is scanned:
none may run as a formula, and the text must read back as stored (CSV: after the neutralising
`'`). Each scan records `formula_cells` for the hardening report. The download buttons of the
pages are read back the same way. (Backups are not exports.)
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import numpy as np
import pytest
import xlsxwriter
from openpyxl import load_workbook

from rubrics.loader import load_rubric
from scoring import METHODS
from scoring.cli import main as command_line
from scoring.synthetic import credit_codes, round_data
from submissions import (
    accounts,
    applications,
    assignments,
    exports,
    imports,
    privacy,
    reviews,
    rounds,
    user_imports,
)
from submissions.excel.applications import application_columns
from submissions.excel.formulas import put_text
from submissions.excel.safe import iter_rows, open_workbook
from submissions.excel.users import ORGANISATIONS_SHEET, USERS_SHEET, organisation_columns, user_columns, users_template
from submissions.rounds import frozen_rubric_text
from submissions.store import Store
from tests.app.admin_ops.conftest import open_on_round
from tests.security.downloads import downloads_fixture  # noqa: F401 - the fixture `downloads`
from tests.security.formula_scan import (
    FORMULA_TEXTS,
    formula_cells,
    formula_cells_from_user_text,
    from_user_text,
    texts_in,
)
from tests.submissions.store.scenario import full_entries, valid_fields
from tests.submissions.store.world import PASSWORD, Clock
from tests.support.store_fixtures import drop_database, fresh_config
from tests.support.workbooks import valid_row

BASE_RUBRIC = load_rubric("project_life")


def payload(i: int) -> str:
    return FORMULA_TEXTS[i % len(FORMULA_TEXTS)]


def marked(field_name: str) -> list[str]:
    """Each formula text followed by the field's name, so that an export's cell tells which field it shows."""
    return [f"{text}《{field_name}{i}》" for i, text in enumerate(FORMULA_TEXTS)]


def hostile_rubric_text() -> str:
    """project_life as an uploaded rubric whose every label (both languages) is formula text."""
    doc = json.loads(frozen_rubric_text(BASE_RUBRIC))
    labels = iter(range(10_000))

    def relabel(item: dict, key: str = "label") -> None:
        n = next(labels)
        text = f"{payload(n)}《细则{n}》"
        item[key] = {"zh": text, "en": text}

    doc["id"] = "formula_rubric"
    relabel(doc, "title")
    for group in ("categories", "indicators", "dimensions", "bands", "gates", "vetoes"):
        for item in doc.get(group) or []:
            relabel(item)
            for criterion in item.get("criteria", []):
                relabel(criterion)
    for item in (doc.get("bonus") or {}).get("items", []):
        relabel(item)
    for item in doc["gates"] + doc["vetoes"]:
        relabel(item, "failure")
    return json.dumps(doc, ensure_ascii=False)


@dataclass
class Seeded:
    """The stored form of every text seeded (what the exports must show), by field."""

    store: Store
    admin: object
    round_id: int
    open_round_id: int
    reviewers: list = field(default_factory=list)  # those named with formula text
    assigned: list = field(default_factory=list)  # every reviewer with an assignment in the round
    applicants: list = field(default_factory=list)
    texts: dict[str, set[str]] = field(default_factory=dict)

    def add(self, kind: str, value: str) -> None:
        self.texts.setdefault(kind, set()).add(value)


def seed(store: Store, world) -> Seeded:
    """A round under review holding formula text in every field people type, through the services."""
    admin = world.admin
    regions = marked("地区")
    created = rounds.create_round(
        store,
        admin,
        name=marked("轮次")[6],
        rubric_text=hostile_rubric_text(),
        settings={"regions": regions, "reviewer_identity": "named", "reviewers_per_application": 3},
    )
    opened = rounds.advance(store, admin, created.id, to_state="open", seen_version=created.version)
    rubric = rounds.round_rubric(store, admin, opened.id)
    seeded = Seeded(store, admin, opened.id, 0)
    seeded.add("round name", opened.name)
    for region in opened.settings.regions:
        seeded.add("region", region)
    for label in [*(c.label.zh for c in rubric.categories), *(c.label.zh for c in rubric.criteria)]:
        seeded.add("rubric label", label)

    codes = credit_codes(len(FORMULA_TEXTS), np.random.default_rng(11))
    people, narratives, evidence = marked("联系人"), marked("说明"), marked("佐证")
    for i, (title, name) in enumerate(zip(FORMULA_TEXTS, marked("单位"), strict=True)):
        org = accounts.create_organisation(store, admin, name=name, credit_code=str(codes[i]), region=regions[i])
        seeded.add("organisation name", org.name)
        user = accounts.create_user(
            store,
            admin,
            username=f"formula-applicant{i}",
            display_name=people[i],
            role="applicant",
            password=PASSWORD,
            organisation_id=org.id,
            region=regions[i],
        )
        applicant = accounts.actor_of_view(user)
        seeded.applicants.append(applicant)
        fields = valid_fields(rubric, region=opened.settings.regions[i], title=title)
        fields["narratives"] = {cid: narratives[i] for cid in fields["narratives"]}
        fields["evidence"] = {cid: evidence[i] for cid in fields["narratives"]}
        if i == 0:  # one application vetoed, so the ranking shows a reason
            fields["declarations"] = {**fields["declarations"], rubric.vetoes[0].id: True}
        draft = applications.create_application(
            store, applicant, opened.id, category=fields["category"], title=title, region=fields["region"]
        )
        saved = applications.save_application(store, applicant, draft.id, seen_version=draft.version, changes=fields)
        submitted = applications.submit_application(store, applicant, saved.id, seen_version=saved.version)
        seeded.add("title", submitted.title)
    for i, name in enumerate(marked("专家")):
        user = accounts.create_user(
            store,
            admin,
            username=f"formula-reviewer{i}",
            display_name=name,
            role="reviewer",
            password=PASSWORD,
            organisation_id=None,
            region=None,
        )
        seeded.reviewers.append(accounts.actor_of_view(user))
        seeded.add("reviewer name", user.display_name)

    assignments.apply_assignment(store, admin, opened.id, seed=3)
    current = rounds.get_round(store, admin, opened.id)
    rounds.advance(store, admin, opened.id, to_state="under_review", seen_version=current.version)
    table = assignments.assignment_table(store, admin, opened.id)
    by_id = {r.user_id: r for r in world.reviewers + seeded.reviewers}
    pairs = list(zip(table["application_id"], table["reviewer_id"], strict=True))
    seeded.assigned = [by_id[r] for r in sorted({r for _, r in pairs})]
    comments = marked("评语")
    for n, (app_id, reviewer_id) in enumerate(pairs[:-1]):
        entries = full_entries(rubric, 0.5 + (n % 5) / 10, comment=comments[n % len(comments)])
        reviews.save_sheet(store, by_id[reviewer_id], app_id, entries=entries, seen_version=0, submit=True)
        seeded.add("comment", comments[n % len(comments)])
    app_id, reviewer_id = pairs[-1]
    reviews.declare_conflict(store, by_id[reviewer_id], app_id, reason=marked("回避理由")[1])
    reviews.reopen_sheet(store, admin, pairs[0][0], pairs[0][1], reason=marked("退回理由")[2])

    other = rounds.create_round(store, admin, name=marked("轮次")[0], rubric_id="project_life")
    seeded.open_round_id = rounds.advance(store, admin, other.id, to_state="open", seen_version=other.version).id
    return seeded


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request, tmp_path_factory) -> Seeded:
    backend = request.param
    config, database = fresh_config(request, backend, tmp_path_factory.mktemp(f"formula-{backend}"))
    world = request.getfixturevalue("sqlite_template" if backend == "sqlite" else "postgres_template")[1]
    store = Store(config, clock=Clock())
    yield seed(store, world)
    store.close()
    if database:
        drop_database(database)


def missing(texts: set[str], shown: set[str]) -> set[str]:
    """The texts that no cell shows unchanged (a header may hold a label with more text around it)."""
    return {text for text in texts if not any(text in cell for cell in shown)}


def scanned(data: bytes, record_property) -> set[str]:
    """The texts of an export, after asserting that none of its cells runs as a formula."""
    found = formula_cells(data)
    record_property("formula_cells", len(from_user_text(found)))
    assert from_user_text(found) == []
    assert found == []  # no export writes formulas at all
    return texts_in(data)


def test_the_scan_counts_the_formulas_a_careless_writer_makes_of_user_text():
    """The measure itself: text written the naive way (XlsxWriter's `write`, a plain CSV) is counted."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)  # by default `write` turns "=..." into a formula
    sheet = book.add_worksheet()
    for row, text in enumerate(FORMULA_TEXTS):
        sheet.write(row, 0, text)
    book.close()
    plain_csv = io.StringIO()
    csv.writer(plain_csv).writerows([[text, "-2.5"] for text in FORMULA_TEXTS])

    assert formula_cells_from_user_text(buffer.getvalue()) == 2  # "=HYPERLINK(...)" and the DDE payload
    assert formula_cells_from_user_text(plain_csv.getvalue().encode()) == 7  # all but full-width "＝", not -2.5


# -- the ranking ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("profile", ["redacted", "full"])
def test_the_ranking_export_runs_no_user_text_as_a_formula_and_shows_it_as_stored(
    seeded, profile, kind, lang, method, record_property
):
    data = exports.ranking_export(
        seeded.store,
        seeded.admin,
        seeded.round_id,
        lang=lang,
        method=method,
        kind=kind,
        profile=profile,
        purpose="核对公式文本" if profile == "full" else "",
    )

    shown = scanned(data, record_property)

    # The CSV is the ranking sheet; the workbook adds the round and the rubric's labels, and reviewers'
    # names under the full profile of a round that names them.
    expected = ["title", "organisation name", "region"]
    if kind == "xlsx":
        expected += ["round name", "rubric label"] + (["reviewer name"] if profile == "full" else [])
    for kind_of_text in expected:
        assert missing(seeded.texts[kind_of_text], shown) == set(), kind_of_text


# -- templates --------------------------------------------------------------------------------------------


def test_the_applicant_template_shows_formula_like_regions_and_labels_as_text(seeded, record_property):
    data = exports.applicant_template(seeded.store, seeded.admin, seeded.round_id)

    shown = scanned(data, record_property)

    assert seeded.texts["region"] <= shown
    assert missing(seeded.texts["rubric label"], shown) == set()


def test_each_reviewers_offline_workbook_shows_titles_names_and_comments_as_text(seeded, record_property):
    shown: set[str] = set()
    for reviewer in seeded.assigned:
        own = scanned(exports.reviewer_template(seeded.store, reviewer, seeded.round_id), record_property)
        if reviewer in seeded.reviewers:  # the workbook names its reviewer
            assert missing({reviewer.display_name}, own) == set()
        shown |= own

    assert seeded.texts["title"] <= shown
    assert seeded.texts["comment"] <= shown
    assert missing(seeded.texts["round name"], shown) == set()


def test_the_accounts_template_holds_no_formula(record_property):
    scanned(users_template(), record_property)


def test_each_persons_subject_access_export_shows_their_text_as_text(seeded, record_property):
    everything: set[str] = set()
    for person in seeded.applicants + seeded.reviewers:
        shown = scanned(privacy.subject_access_export(seeded.store, person), record_property)

        assert missing({person.display_name}, shown) == set()
        everything |= shown
    assert missing(seeded.texts["title"] | seeded.texts["organisation name"], everything) == set()


# -- error workbooks: the upload comes back, its text as text -----------------------------------------------


def with_real_formulas(data: bytes) -> bytes:
    """`data` copied by XlsxWriter with each text below the header as a formula whose cached value is
    that text, as a workbook that computed its cells would hold them."""
    source = open_workbook(data)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False})
    for original in source.worksheets:
        sheet = book.add_worksheet(original.title)
        for r, row in enumerate(iter_rows(original, max_rows=1000, max_columns=100)):
            for c, value in enumerate(row):
                # XlsxWriter writes a cached result raw, where XML turns a CR into LF: such text stays typed.
                if isinstance(value, str) and r > 0 and "\r" not in value:
                    sheet.write_formula(r, c, '=T("{}")'.format(value.replace('"', '""')), None, value)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)
                elif value is not None:
                    sheet.write(r, c, value)
    source.close()
    book.close()
    return buffer.getvalue()


@pytest.mark.parametrize("formulas", [False, True], ids=["typed as text", "computed by formulas"])
def test_the_applications_error_workbook_returns_the_uploaded_text_as_text(seeded, formulas, record_property):
    template = exports.applicant_template(seeded.store, seeded.admin, seeded.open_round_id)
    rows = [
        valid_row(BASE_RUBRIC, n, title=text, organisation=text, **{"narratives.market_prospect": text})
        for n, text in enumerate(FORMULA_TEXTS)
    ]
    rows[0]["region"] = "=火星"  # one bad cell, so the import is refused with its marked workbook
    upload = filled(template, BASE_RUBRIC, rows)
    upload = with_real_formulas(upload) if formulas else upload

    outcome = imports.import_applications(seeded.store, seeded.admin, seeded.open_round_id, upload)

    assert not outcome.ok
    shown = scanned(outcome.error_workbook, record_property)
    assert set(FORMULA_TEXTS) <= shown
    assert "=火星" in shown


def filled(template: bytes, rubric, rows: list[dict]) -> bytes:
    """The applicant template with `rows` (field -> value) typed in, text as text (CR kept, as Excel keeps it)."""
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    position = {c.field: i for i, c in enumerate(application_columns(rubric), start=1)}
    for r, values in enumerate(rows, start=2):
        for name, value in values.items():
            cell = sheet.cell(row=r, column=position[name])
            if isinstance(value, str):
                put_text(cell, value)
            else:
                cell.value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def accounts_upload(texts: tuple[str, ...]) -> bytes:
    workbook = load_workbook(io.BytesIO(users_template()))
    codes = credit_codes(len(texts), np.random.default_rng(5))
    sheets = {
        ORGANISATIONS_SHEET: (
            organisation_columns(),
            [{"name": t, "credit_code": str(c), "region": t} for t, c in zip(texts, codes, strict=True)],
        ),
        USERS_SHEET: (
            user_columns(),
            [{"username": f"u{n}", "display_name": t, "role": t, "password": PASSWORD} for n, t in enumerate(texts)],
        ),
    }
    for title, (columns, rows) in sheets.items():
        position = {c.field: i for i, c in enumerate(columns, start=1)}
        for r, values in enumerate(rows, start=2):
            for name, value in values.items():
                put_text(workbook[title].cell(row=r, column=position[name]), value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_accounts_error_workbook_returns_the_uploaded_text_as_text(seeded, record_property):
    outcome = user_imports.import_users(seeded.store, seeded.admin, accounts_upload(FORMULA_TEXTS))

    assert not outcome.ok  # a role of "+1+1" is no role
    shown = scanned(outcome.error_workbook, record_property)
    assert {t.strip() for t in FORMULA_TEXTS} <= {t.strip() for t in shown}


def test_the_offline_score_sheet_error_workbook_returns_the_comments_as_text(seeded, record_property):
    reviewer = seeded.reviewers[0]
    workbook = load_workbook(io.BytesIO(exports.reviewer_template(seeded.store, reviewer, seeded.round_id)))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    comment_columns = [i for i, h in enumerate(header, start=1) if h and "评语" in h]
    points_column = next(i for i, h in enumerate(header, start=1) if h and "满分" in h)
    for r in range(2, sheet.max_row + 1):
        for n, column in enumerate(comment_columns):
            put_text(sheet.cell(row=r, column=column), payload(n + r))
        sheet.cell(row=r, column=points_column).value = "=1+1"  # not a number: the upload is refused
    buffer = io.BytesIO()
    workbook.save(buffer)

    outcome = reviews.upload_offline(seeded.store, reviewer, seeded.round_id, buffer.getvalue())

    assert not outcome.ok
    shown = scanned(outcome.error_workbook, record_property)
    assert set(FORMULA_TEXTS) <= shown | {"=1+1"}


# -- the command line ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_the_command_line_ranking_runs_no_input_text_as_a_formula(tmp_path, suffix, record_property):
    apps, scores = round_data(BASE_RUBRIC, len(FORMULA_TEXTS), seed=4, categorical=False)
    renamed = {f"A{i}": f"{text}#{i}" for i, text in enumerate(FORMULA_TEXTS)}
    apps["application_id"] = apps["application_id"].map(renamed)
    scores["application_id"] = scores["application_id"].map(renamed)
    apps["region"] = list(FORMULA_TEXTS)
    for frame, name in ((apps, "apps.csv"), (scores, "scores.csv")):
        frame.to_csv(tmp_path / name, index=False, quoting=csv.QUOTE_ALL)  # a CR inside a cell stays in it
    out = tmp_path / f"ranking.{suffix}"

    code = command_line(
        [
            "rank",
            "--rubric",
            "project_life",
            "--applications",
            str(tmp_path / "apps.csv"),
            "--scores",
            str(tmp_path / "scores.csv"),
            "--out",
            str(out),
        ]
    )

    assert code == 0
    shown = scanned(out.read_bytes(), record_property)
    # The command line trims the cells it reads, so TAB and CR come off the ends of ids and regions.
    assert {text.strip() for text in [*renamed.values(), *FORMULA_TEXTS]} <= shown


# -- the pages' download buttons ------------------------------------------------------------------------------


def test_the_results_page_downloads_run_no_user_text_as_a_formula(pages, downloads, record_property):
    round_id = next(r.id for r in rounds.list_rounds(pages.store, pages.actor("admin")) if r.state == "under_review")
    pages.store.db.write(lambda session: _retitle(session, round_id))
    app = open_on_round(pages, "app_pages/admin/results.py", "city_comprehensive")

    for kind in ("xlsx", "csv"):
        app = app.button(key=f"rs_prepare_{kind}").click().run()
        _, data = downloads.served(app.get("download_button")[0])
        assert set(FORMULA_TEXTS) <= scanned(data, record_property)  # the titles, unchanged


def _retitle(session, round_id: int) -> None:
    from sqlalchemy import select, update

    from submissions.models import Application

    ids = session.scalars(select(Application.id).where(Application.round_id == round_id).order_by(Application.id))
    for n, app_id in enumerate(ids):
        session.execute(update(Application).where(Application.id == app_id).values(title=payload(n)))


def test_the_reviewer_page_offline_workbook_download_runs_no_user_text_as_a_formula(pages, downloads, record_property):
    reviewer = pages.actor("liuzhenhua")
    round_id = next(r.id for r in rounds.list_rounds(pages.store, pages.actor("admin")) if r.state == "under_review")
    assigned = next(a for a in reviews.my_assignments(pages.store, reviewer, round_id) if a.sheet_status == "draft")
    draft = reviews.get_sheet(pages.store, reviewer, assigned.application_id)
    comments = {cid: payload(n) for n, cid in enumerate(draft.entries)}
    entries = {cid: {"points": e.points, "comment": comments[cid]} for cid, e in draft.entries.items()}
    reviews.save_sheet(pages.store, reviewer, draft.application_id, entries=entries, seen_version=draft.version)
    pages.store.db.write(lambda session: _retitle(session, round_id))
    app = pages.open("app_pages/reviewer/assignments.py", user="liuzhenhua")

    _, data = downloads.served(app.download_button(key="rv_template_download"))

    assert set(comments.values()) <= scanned(data, record_property)


def test_the_imports_and_users_pages_template_downloads_hold_no_formula(pages, downloads, record_property):
    app = open_on_round(pages, "app_pages/admin/imports.py", "project_industry")
    app = app.button(key="rs_prepare_template").click().run()
    scanned(downloads.served(app.get("download_button")[0])[1], record_property)

    app = pages.open("app_pages/admin/users.py", user="admin")
    scanned(downloads.served(app.download_button(key="ad_users_template"))[1], record_property)


def test_the_users_page_error_workbook_download_returns_the_text_as_text(pages, downloads, record_property):
    app = pages.open("app_pages/admin/users.py", user="admin")

    app.file_uploader(key="ad_users_upload").upload("accounts.xlsx", accounts_upload(FORMULA_TEXTS))
    app = app.run().button(key="ad_users_import").click().run()

    _, data = downloads.served(app.download_button(key="ad_users_errors"))
    assert {t.strip() for t in FORMULA_TEXTS} <= {t.strip() for t in scanned(data, record_property)}
