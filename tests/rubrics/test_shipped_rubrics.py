"""The shipped rubric library: every rubric loads, every quote is found verbatim in its plan."""

from __future__ import annotations

import pytest

from rubrics import content_hash, list_rubrics, load_rubric
from rubrics.citations import SEED_FILES, check_quotes, default_seed_dir, iter_sources

SEED_DIR = default_seed_dir()
needs_seeds = pytest.mark.skipif(
    not SEED_DIR.is_dir(), reason=f"plan texts not found at {SEED_DIR}; set APP_SEED_DIR to check quotes"
)

EXPECTED_PROGRAMMES = {
    "demo_city",
    "demo_project",
    "ecommerce_platform",
    "agri_base",
    "cloud_case",
    "skills_training",
}


@pytest.mark.parametrize("rubric_id", list_rubrics())
def test_shipped_rubric_loads_with_matching_id(rubric_id):
    rubric = load_rubric(rubric_id)

    assert rubric.id == rubric_id
    assert len(content_hash(rubric)) == 64


@needs_seeds
@pytest.mark.parametrize("rubric_id", list_rubrics())
def test_shipped_rubric_quotes_occur_verbatim_in_plans(rubric_id):
    problems = check_quotes(load_rubric(rubric_id), SEED_DIR)

    assert problems == []


def test_library_covers_every_programme_and_project_category():
    rubrics = [load_rubric(r) for r in list_rubrics()]

    assert {r.programme for r in rubrics} == EXPECTED_PROGRAMMES
    project_categories = {c.id for r in rubrics if r.programme == "demo_project" for c in r.categories}
    assert project_categories == {"life", "public_service", "industry", "new_product", "support_platform"}
    city_types = {c.id for r in rubrics if r.programme == "demo_city" for c in r.categories}
    assert {"comprehensive"} <= city_types


def test_library_cites_all_five_plans():
    cited = {
        source.seed for rubric_id in list_rubrics() for _, source in iter_sources(load_rubric(rubric_id)) if source.seed
    }

    assert cited == set(SEED_FILES)


@pytest.mark.parametrize("rubric_id", list_rubrics())
def test_shipped_rubric_gates_include_credit_code_and_security_veto(rubric_id):
    rubric = load_rubric(rubric_id)

    assert any(g.check == "credit_code" for g in rubric.gates)
    assert any(v.id == "security_incident" for v in rubric.vetoes)
