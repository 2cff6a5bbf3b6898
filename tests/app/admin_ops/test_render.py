"""Every administrator review-operation page renders on the demo data, in Chinese and in English."""

from __future__ import annotations

import pytest

from tests.app.admin_ops.conftest import open_on_round, round_ids

PAGES = {
    "assignment": "app_pages/admin/assignment.py",
    "progress": "app_pages/admin/progress.py",
    "results": "app_pages/admin/results.py",
    "imports": "app_pages/admin/imports.py",
}
TITLES = {
    "zh": {"assignment": "专家分配", "progress": "评审进度", "results": "评审结果", "imports": "批量导入"},
    "en": {"assignment": "Assignment", "progress": "Progress", "results": "Results", "imports": "Bulk import"},
}
REVIEWED = ("city_comprehensive", "project_life", "project_public_service")  # under review, published, closed


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_with_its_default_round(pages, name, lang):
    app = pages.open(PAGES[name], user="admin", lang=lang)

    assert not app.exception, app.exception
    assert app.title[0].value == TITLES[lang][name]
    assert not app.error


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", ["assignment", "progress", "results"])
@pytest.mark.parametrize("rubric_id", REVIEWED)
def test_page_renders_each_reviewed_demo_round(pages, name, lang, rubric_id):
    app = open_on_round(pages, PAGES[name], rubric_id, lang=lang)

    assert not app.exception, app.exception
    assert app.session_state[f"rs_{name}_picker"] == round_ids(pages)[rubric_id]
    assert not app.error
    assert app.dataframe, "each reviewed round has tables to show"
