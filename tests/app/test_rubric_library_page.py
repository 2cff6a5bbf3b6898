"""The app renders the rubric library in both languages (Streamlit AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rubrics import list_rubrics, load_rubric

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def run_app(lang: str = "zh", rubric_id: str | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=30)
    app.session_state["lang"] = lang
    if rubric_id:
        app.session_state["library_rubric"] = rubric_id
    return app.run()


def test_library_renders_in_chinese_by_default():
    app = run_app()

    assert not app.exception
    assert app.title[0].value == "评分细则库"
    assert [s.value for s in app.subheader] == ["评分指标", "资格条件与一票否决", "推荐档次", "评审默认设置"]


def test_library_switches_to_english():
    app = run_app("en")

    assert not app.exception
    assert app.title[0].value == "Rubric library"


@pytest.mark.parametrize("rubric_id", list_rubrics())
def test_library_shows_every_criterion_with_its_clause(rubric_id):
    rubric = load_rubric(rubric_id)

    app = run_app("zh", rubric_id)

    assert not app.exception
    shown = app.dataframe[0].value
    assert shown["criterion"].tolist() == [c.label.zh for c in rubric.criteria]
    assert shown["clauses"].str.len().min() > 0
    assert shown["max_points"].tolist() == [float(c.max_points) for c in rubric.criteria]
