"""What the administrators' round page needs from the rounds service: an overview with counts, settings
problems worded per setting, uploaded rubric files, Beijing deadlines and a readable settings summary."""

from __future__ import annotations

import datetime as dt

import pytest

from rubrics import RubricError, load_rubric
from rubrics.loader import DATA_DIR, MAX_YAML_BYTES
from submissions import applications, rounds
from submissions.errors import AccessDenied, SubmissionError
from tests.submissions.store.scenario import open_round, round_under_review, score_everything, submit_application

BEIJING = dt.timezone(dt.timedelta(hours=8))
LIFE = load_rubric("project_life")


def test_round_overview_counts_each_rounds_work(store, world):
    opened = open_round(store, world)
    submit_application(store, world, opened.id, 0)
    submit_application(store, world, opened.id, 1)
    applications.create_application(
        store, world.applicants[2], opened.id, category=LIFE.categories[0].id, title="草稿项目", region="重庆"
    )
    reviewing, _ = round_under_review(store, world, per_applicant=1, per_application=2)
    score_everything(store, world, reviewing.id)

    overview = rounds.round_overview(store, world.admin, "en")

    assert overview["id"].tolist() == [reviewing.id, opened.id]
    counts = overview.set_index("id")[["state", "applications", "drafts", "assignments", "sheets"]]
    assert counts.loc[opened.id].tolist() == ["open for applications", 2, 1, 0, 0]
    assert counts.loc[reviewing.id].tolist() == ["under review", 3, 0, 6, 6]


def test_round_overview_is_for_administrators_only(store, world):
    with pytest.raises(AccessDenied):
        rounds.round_overview(store, world.reviewers[0])


@pytest.mark.parametrize(
    ("values", "field", "zh", "en"),
    [
        (
            {
                "application_deadline": dt.datetime(2027, 5, 1, 17, tzinfo=BEIJING),
                "review_deadline": dt.datetime(2027, 4, 1, 17, tzinfo=BEIJING),
            },
            "settings.review_deadline",
            "评审截止时间必须晚于申报截止时间;请调整其中一个。",
            "The review deadline must come after the application deadline; change one of them.",
        ),
        (
            {"reviewers_per_application": 0},
            "settings.reviewers_per_application",
            "“每份申报的评审专家数”应不小于1;请修改。",
            "“Reviewers per application” must be at least 1; change it.",
        ),
        (
            {"min_comment_length": 2001},
            "settings.min_comment_length",
            "“评语最少字数”应不大于2000;请修改。",
            "“Minimum comment length” must be at most 2000; change it.",
        ),
        (
            {"aggregation": "average"},
            "settings.aggregation",
            "“汇总方法”只能取以下之一:mean、median、trimmed、zscore;请重新选择。",
            "“Aggregation method” must be one of 'mean', 'median', 'trimmed' or 'zscore'; choose again.",
        ),
        (
            {"regions": ["广东", "广东"]},
            "settings.regions",
            "“地区范围”须至少列出一个地区,每个地区名称1至64个字且不能重复;请修改。",
            "“Regions” must list at least one region, each named in 1 to 64 characters and listed once; fix the list.",
        ),
        (
            {"application_deadline": dt.datetime(2027, 5, 1, 17)},
            "settings.application_deadline",
            "“申报截止时间”须注明时区(例如北京时间);请重新填写。",
            "“Application deadline” needs its time zone (e.g. Beijing time); enter it again.",
        ),
    ],
)
def test_settings_problems_name_the_setting(values, field, zh, en):
    problems = rounds.settings_problems(LIFE, values)

    assert [(p.field, p.message_zh, p.message_en) for p in problems] == [(field, zh, en)]


def test_settings_problems_report_every_bad_setting():
    problems = rounds.settings_problems(LIFE, {"reviewers_per_application": 0, "aggregation": "x", "precision": 9})

    assert [p.field for p in problems] == [
        "settings.aggregation",
        "settings.precision",
        "settings.reviewers_per_application",
    ]


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"reviewers_per_application": 7, "blind_policy": "sealed", "regions": ["广东", "湖北"]},
        {"reviewers_per_application": 0},
        {"tie_break": ["criterion:nowhere"]},
        {"quota_per_region": 0, "normalise": True},
    ],
)
def test_settings_problems_agree_with_the_service(store, world, values):
    problems = rounds.settings_problems(LIFE, values)

    if problems:
        with pytest.raises(SubmissionError):
            rounds.create_round(store, world.admin, name="设置检查", rubric_id="project_life", settings=values)
    else:
        created = rounds.create_round(store, world.admin, name="设置检查", rubric_id="project_life", settings=values)
        assert created.state == "draft"


def test_rubric_upload_reads_a_utf8_file_with_or_without_bom():
    data = (DATA_DIR / "project_life.yaml").read_bytes()

    text, rubric = rounds.rubric_upload(b"\xef\xbb\xbf" + data, "life.yaml")

    assert text == data.decode("utf-8")
    assert rubric == LIFE


@pytest.mark.parametrize(
    ("data", "code"),
    [("id: 示例".encode("gb18030"), "encoding"), (b"#" * (MAX_YAML_BYTES + 1), "too_large")],
)
def test_rubric_upload_refuses_files_it_cannot_read(data, code):
    with pytest.raises(RubricError) as refused:
        rounds.rubric_upload(data, "mine.yaml")

    assert [(p.path, p.code) for p in refused.value.problems] == [("", code)]
    assert refused.value.source == "mine.yaml"


def test_deadlines_typed_in_beijing_round_trip():
    typed = dt.datetime(2027, 3, 31, 17, 0)

    stored = rounds.beijing_time(typed)

    assert stored == dt.datetime(2027, 3, 31, 9, 0, tzinfo=dt.UTC)
    assert rounds.beijing_wall_clock(stored.astimezone(dt.UTC)) == typed
    assert rounds.beijing_time(None) is None
    assert rounds.beijing_time(stored) is stored


def test_settings_summary_reads_like_the_form():
    settings = rounds.RoundSettings.for_rubric(
        LIFE,
        blind_policy="sealed",
        conflict_same_region=True,
        review_deadline=dt.datetime(2027, 4, 30, 9, tzinfo=dt.UTC),
        regions=("广东", "湖北"),
    )

    zh = dict(rounds.settings_summary(settings, "zh").values.tolist())
    en = dict(rounds.settings_summary(settings, "en").values.tolist())

    assert zh["评分可见规则"] == "互不可见"
    assert zh["同地区专家回避"] == "是"
    assert zh["评审截止时间"] == "2027-04-30 17:00(北京时间)"
    assert zh["申报截止时间"] == "—"
    assert zh["地区范围"] == "广东、湖北"
    assert en["Regions"] == "广东, 湖北"
    assert en["Review deadline"] == "2027-04-30 17:00 (Beijing)"
    assert list(zh) == [labels[0] for labels in rounds.SETTING_LABELS.values()]
