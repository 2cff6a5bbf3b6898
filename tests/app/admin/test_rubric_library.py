"""The rubric library in both languages; administrators check uploaded rubrics and make rounds of them."""

from __future__ import annotations

import pytest

from rubrics import content_hash, list_rubrics, load_rubric
from rubrics.loader import DATA_DIR
from submissions import rounds
from tests.app.admin.conftest import UNTRUSTED

LIBRARY = "app_pages/rubric_library.py"
BROKEN = "schema_version: 1\nid: 9lives\nversion: '1'\ncolour: red\n"


@pytest.fixture
def run_app(pages):
    def run(lang: str = "zh", rubric_id: str | None = None, user: str = "chensiyuan"):
        # The landing page first runs in Chinese: its round picker's labels are re-made outside the run
        # by the next one, where the test cannot see the session's language.
        app = pages.open(None, user=user, lang="zh")
        app.session_state["lang"] = lang
        if rubric_id:
            app.session_state["library_rubric"] = rubric_id
        return app.switch_page(LIBRARY).run()

    return run


def upload(app, name: str, content: bytes):
    app.file_uploader(key="library_upload").upload(name, content, "application/x-yaml")
    return app.run()


def problems_shown(app) -> dict[str, str]:
    table = app.dataframe[-1].value
    return dict(zip(table["path"], table["problem"], strict=True))


def test_library_renders_in_chinese_by_default(run_app):
    app = run_app()

    assert not app.exception
    assert app.title[0].value == "评分细则库"
    assert [s.value for s in app.subheader] == ["评分指标", "资格条件与一票否决", "推荐档次", "评审默认设置"]


def test_library_switches_to_english(run_app):
    app = run_app("en")

    assert not app.exception
    assert app.title[0].value == "Rubric library"


@pytest.mark.parametrize("rubric_id", list_rubrics())
def test_library_shows_every_criterion_with_its_clause(run_app, rubric_id):
    rubric = load_rubric(rubric_id)

    app = run_app("zh", rubric_id)

    assert not app.exception
    shown = app.dataframe[0].value
    assert shown["criterion"].tolist() == [c.label.zh for c in rubric.criteria]
    assert shown["clauses"].str.len().min() > 0
    assert shown["max_points"].tolist() == [float(c.max_points) for c in rubric.criteria]


def test_library_offers_uploads_only_to_administrators(run_app):
    reviewer = run_app(user="chensiyuan")
    admin = run_app(user="admin", lang="en")

    assert not reviewer.file_uploader
    assert [u.label for u in admin.file_uploader] == ["Rubric YAML file"]
    assert admin.subheader[-1].value == "Check a rubric of your own"


def test_library_lists_every_problem_of_a_broken_rubric_in_chinese(run_app):
    app = upload(run_app(user="admin"), "mine.yaml", BROKEN.encode())

    assert not app.exception
    assert app.error[0].value == "评分细则有 9 处问题,未创建任何内容:"
    assert problems_shown(app) == {
        "id": "编号只能使用拉丁字母、数字和下划线,并以字母开头。",
        "colour": "未知的键“colour”;请删除该键或更正拼写。",
        "title": "缺少必填字段;请补上该字段。",
        "programme": "缺少必填字段;请补上该字段。",
        "categories": "缺少必填字段;请补上该字段。",
        "total_points": "缺少必填字段;请补上该字段。",
        "dimensions": "缺少必填字段;请补上该字段。",
        "bands": "缺少必填字段;请补上该字段。",
        "sources": "缺少必填字段;请补上该字段。",
    }


def test_library_lists_the_same_problems_in_english(run_app):
    app = upload(run_app(user="admin", lang="en"), "mine.yaml", BROKEN.encode())

    shown = problems_shown(app)
    assert app.error[0].value == "The rubric has 9 problem(s); nothing was created:"
    assert shown["colour"] == "unknown key 'colour'; remove this key or correct its spelling"
    assert shown["title"] == "Field required; add this field"


def test_library_explains_malformed_yaml_at_its_line(run_app):
    app = upload(run_app(user="admin"), "mine.yaml", b"id: demo\ntitle: {zh: a\n  en: b\n")

    assert problems_shown(app) == {
        "(整个文件)": "YAML 格式有误,位于第 3 行第 5 列:此处应为“,”或“}”,却出现了“:”(括号可能没有闭合);请修改该处。"
    }


def test_library_refuses_a_file_that_is_not_utf8(run_app):
    app = upload(run_app(user="admin"), "mine.yaml", "id: 示例".encode("gb18030"))

    assert problems_shown(app) == {"(整个文件)": "文件不是 UTF-8 编码的文本;请另存为 UTF-8 编码后再上传。"}


def test_library_creates_a_round_from_a_valid_upload(run_app, pages):
    before = len(rounds.list_rounds(pages.store, pages.actor("admin")))
    text = (DATA_DIR / "project_life.yaml").read_bytes()
    app = upload(run_app(user="admin"), "life.yaml", text)

    assert app.success[0].value.endswith("(project\\_life)检查通过。")
    app.text_input(key="library_round_name").input("自定义生活类评审")
    app = app.button(key="library_create_submit").click().run()

    assert not app.exception
    created = rounds.list_rounds(pages.store, pages.actor("admin"))
    assert len(created) == before + 1
    assert (created[0].name, created[0].rubric_id, created[0].state) == ("自定义生活类评审", "project_life", "draft")
    assert created[0].rubric_hash == content_hash(load_rubric("project_life"))  # the same file, the same rubric


def test_library_shows_an_uploaded_rubrics_untrusted_title_inert(run_app, pages):
    text = (DATA_DIR / "project_life.yaml").read_text("utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    mine = text.replace(title, f"title: {{zh: '{UNTRUSTED}', en: 'Mine'}}")

    app = upload(run_app(user="admin"), "mine.yaml", mine.encode())
    app = app.button(key="library_create_submit").click().run()

    assert not app.exception
    assert app.text_input(key="library_round_name").value == UNTRUSTED
    rendered = [m.value for m in app.success] + [m.value for m in app.markdown] + [c.value for c in app.caption]
    assert not any("<script>" in value or "](http://x)" in value for value in rendered)
    assert rounds.list_rounds(pages.store, pages.actor("admin"))[0].name == UNTRUSTED
