"""The app renders the rubric library in both languages (Streamlit AppTest)."""

from __future__ import annotations

import pytest

from rubrics import list_rubrics, load_rubric

LIBRARY = "app_pages/rubric_library.py"


@pytest.fixture
def run_app(pages):
    def run(lang: str = "zh", rubric_id: str | None = None, user: str = "chensiyuan"):
        app = pages.open(None, user=user, lang=lang)
        if rubric_id:
            app.session_state["library_rubric"] = rubric_id
        return app.switch_page(LIBRARY).run()

    return run


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
