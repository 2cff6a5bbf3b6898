"""Rubrics: every broken or hostile rubric refused with a specific message in both languages, and a
round's rubric frozen once scoring can begin.

Refusals are checked where an administrator meets them: the loader (`load_rubric_text`), the upload
(`rounds.rubric_upload`, which also checks size and encoding) and the rounds page. A round stores
the resolved rubric and its hash when it is created; later edits to the shipped files, or an upload
of a new version under the same id, make new rounds and leave existing scores, their checks and the
ranking exactly as they were. No service writes a round's rubric after creation.
"""

from __future__ import annotations

import ast
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from rubrics import loader
from rubrics.errors import RubricError, message_in
from rubrics.loader import MAX_YAML_BYTES, content_hash, load_rubric, load_rubric_text
from submissions import ranking, reviews, rounds
from submissions.errors import RoundStateError, SubmissionError
from submissions.store import Store
from tests.rubrics.test_rubric_errors import criterion, dump, make_rubric
from tests.security.input_scenes import open_scene
from tests.submissions.store.scenario import assigned_pairs, full_entries, reviewer_actor
from tests.support.app_fixtures import unescaped

ROUNDS_PAGE = "app_pages/admin/rounds.py"
ROOT = Path(__file__).resolve().parents[2]


def laughs(levels: int = 9) -> str:
    """The YAML "billion laughs": each anchor lists the previous one nine times (9**9 strings in all)."""
    lines = ['lol0: &lol0 ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]']
    for n in range(1, levels + 1):
        lines.append(f"lol{n}: &lol{n} [{', '.join([f'*lol{n - 1}'] * 9)}]")
    return "\n".join(lines) + "\n" + dump(make_rubric()).replace("description:", "old_description:", 1)


def points_off() -> str:
    doc = make_rubric()
    criterion(doc, 0, 0)["max_points"] = 7
    return dump(doc)


def duplicate_ids() -> str:
    doc = make_rubric()
    criterion(doc, 1, 0)["id"] = "market"
    return dump(doc)


def unknown_fields() -> str:
    doc = make_rubric(colour="red")
    criterion(doc, 0, 0)["weight"] = 2
    return dump(doc)


def python_object(marker: Path) -> str:
    return dump(make_rubric()) + f"note: !!python/object/apply:builtins.open [{str(marker)!r}, 'w']\n"


# name -> (text, problems as (path, code), a phrase of the Chinese message, a phrase of the English one)
CASES = {
    "malformed-yaml": (
        "id: demo\ntitle: {zh: a\n  en: b\n",
        [("", "yaml_syntax")],
        "YAML 格式有误,位于第 3 行第 5 列",
        "line 3, column 5",
    ),
    "key-repeated": (
        dump(make_rubric()) + "id: other_rubric\n",
        [("", "yaml_syntax")],
        "键“id”在同一映射中出现了两次(第一次在第 2 行)",
        "key 'id' appears twice in one mapping",
    ),
    "duplicate-ids": (
        duplicate_ids(),
        [("dimensions[1].criteria[0].id", "duplicate_id")],
        "编号“market”与 dimensions[0].criteria[0] 处的编号重复",
        "id 'market' repeats the id at dimensions[0].criteria[0]",
    ),
    "points-not-summing": (
        points_off(),
        [("dimensions[0].max_points", "points_sum"), ("total_points", "points_sum")],
        "该维度下各指标满分合计为 13,但维度声明的满分是 12",
        "criteria points add up to 13 but the dimension declares 12",
    ),
    "unknown-fields": (
        unknown_fields(),
        [("colour", "extra_forbidden"), ("dimensions[0].criteria[0].weight", "extra_forbidden")],
        "未知的键“colour”;请删除该键或更正拼写。",
        "unknown key 'colour'; remove this key or correct its spelling",
    ),
    "huge": (
        dump(make_rubric()) + "# " + "很长的注释" * (MAX_YAML_BYTES // 10) + "\n",
        [("", "too_large")],
        "文件超过 512 KiB 的上限",
        "larger than 512 KiB",
    ),
    "billion-laughs": (
        laughs(),
        [("", "yaml_syntax")],
        "别名 *lol0 引用了锚点;评分细则不接受锚点(&)和别名(*)",
        "the alias *lol0 repeats an anchor; anchors and aliases are not accepted",
    ),
    "python-tag": (
        dump(make_rubric()) + "note: !!python/object/apply:os.system ['echo pwned']\n",
        [("", "yaml_syntax")],
        "不支持类型标签“tag:yaml.org,2002:python/object/apply:os.system”",
        "could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'",
    ),
    "custom-tag": (
        "id: !include other.yaml\n",
        [("", "yaml_syntax")],
        "不支持类型标签“!include”",
        "could not determine a constructor for the tag '!include'",
    ),
    "deep-nesting": (
        "dimensions: " + "[" * 200_000 + "]" * 200_000 + "\n",
        [("", "yaml_syntax")],
        "文件嵌套超过 40 层",
        "nested more than 40 levels deep",
    ),
    "nul-character": (
        "id: demo\x00\n",
        [("", "yaml_character")],
        "第 9 个字符 U+0000 不能出现在 YAML 中",
        "character U+0000 at position 9 is not allowed in YAML",
    ),
}


@pytest.mark.parametrize(("text", "expected", "zh", "en"), list(CASES.values()), ids=list(CASES))
def test_a_broken_rubric_is_refused_with_every_problem_in_both_languages(text, expected, zh, en):
    with pytest.raises(RubricError) as refusal:
        load_rubric_text(text)

    problems = refusal.value.problems
    assert {(p.path, p.code) for p in problems} >= set(expected)
    assert any(zh in message_in(p, "zh") for p in problems), [message_in(p, "zh") for p in problems]
    assert any(en in message_in(p, "en") for p in problems), [p.message for p in problems]
    assert all(not _has_english_sentence(message_in(p, "zh")) for p in problems)


def _has_english_sentence(text: str) -> bool:
    """A Chinese message left in English: four English words in a row."""
    return any(len(run.split()) >= 4 for run in _latin_runs(text))


def _latin_runs(text: str) -> list[str]:
    runs, current = [], []
    for char in text:
        if char.isascii() and (char.isalpha() or char == " "):
            current.append(char)
        else:
            runs.append("".join(current))
            current = []
    return [*runs, "".join(current)]


def test_a_python_tag_is_never_executed(tmp_path):
    marker = tmp_path / "created-by-yaml"

    with pytest.raises(RubricError):
        load_rubric_text(python_object(marker))

    assert not marker.exists()


@pytest.mark.parametrize(("text", "expected", "zh", "en"), list(CASES.values()), ids=list(CASES))
def test_an_uploaded_rubric_file_is_refused_like_the_text(text, expected, zh, en):
    data = text.encode("utf-8")

    with pytest.raises(RubricError) as refusal:
        rounds.rubric_upload(data, "uploaded.yaml")

    assert refusal.value.source == "uploaded.yaml"
    assert {(p.path, p.code) for p in refusal.value.problems} >= set(expected)


@pytest.mark.parametrize(
    ("data", "code", "zh"),
    [
        ("id: 示例\n".encode("gb18030"), "encoding", "文件不是 UTF-8 编码的文本;请另存为 UTF-8 编码后再上传。"),
        (b"x" * (MAX_YAML_BYTES + 1), "too_large", "文件超过 512 KiB 的上限;请拆分或精简后再上传。"),
        (
            b"\xef\xbb\xbf" + b"- a\n- b\n",
            "not_a_mapping",
            "文件必须是一个 YAML 映射,包含 id、title、dimensions 等键。",
        ),
    ],
    ids=["not-utf8", "over-512-kib", "bom-and-a-list"],
)
def test_an_uploaded_file_that_is_not_a_rubric_at_all_is_refused(data, code, zh):
    with pytest.raises(RubricError) as refusal:
        rounds.rubric_upload(data, "uploaded.yaml")

    (problem,) = refusal.value.problems
    assert (problem.path, problem.code) == ("", code)
    assert message_in(problem, "zh") == zh


# -- the rounds page ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "lang"),
    [
        ("billion-laughs", "zh"),
        ("python-tag", "en"),
        ("duplicate-ids", "zh"),
        ("points-not-summing", "en"),
        ("huge", "zh"),
        ("deep-nesting", "en"),
    ],
)
def test_the_rounds_page_lists_a_hostile_rubrics_problems_and_creates_nothing(pages, case, lang):
    text, expected, zh, en = CASES[case]
    before = rounds.list_rounds(pages.store, pages.actor("admin"))
    app = pages.open(ROUNDS_PAGE, user="admin", lang=lang)
    app = app.radio(key="ad_create_source").set_value("upload").run()
    app.text_input(key="ad_create_name").input("自定义细则批次")
    app.file_uploader(key="ad_create_upload").upload("mine.yaml", text.encode("utf-8"), "application/x-yaml")

    app = app.button(key="ad_create_submit").click().run()

    assert not app.exception
    heading = unescaped(app.error[0].value)
    assert heading.startswith("评分细则有 " if lang == "zh" else "The rubric has ")
    table = app.dataframe[-1].value
    shown = dict(zip(table["path"], table["problem"], strict=True))
    where = {"": "(整个文件)" if lang == "zh" else "(document)"}
    assert {where.get(path, path) for path, _ in expected} <= set(shown)
    assert any((zh if lang == "zh" else en) in problem for problem in shown.values())
    assert rounds.list_rounds(pages.store, pages.actor("admin")) == before


# -- a rubric changed after scoring began -----------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scored(request, tmp_path_factory):
    """The scene's review round with every sheet submitted but one, which stays a draft."""
    with open_scene(request, tmp_path_factory, request.param) as scene:
        pairs = assigned_pairs(scene.store, scene.world, scene.review.id)
        open_pair = (scene.spare_app, scene.spare_reviewer.user_id)
        for app_id, reviewer_id in pairs:
            if (app_id, reviewer_id) == open_pair:
                continue
            actor = reviewer_actor(scene.world, reviewer_id)
            seen = reviews.get_sheet(scene.store, actor, app_id).version
            reviews.save_sheet(
                scene.store,
                actor,
                app_id,
                entries=full_entries(scene.life_rubric, 0.75),
                seen_version=seen,
                submit=True,
            )
        yield scene


def snapshot(store: Store, scene) -> tuple:
    """What a round's scoring rests on, read through a store that has cached nothing."""
    fresh = Store(store.config, clock=store.clock)
    try:
        round_ = rounds.get_round(fresh, scene.admin, scene.review.id)
        rubric = rounds.round_rubric(fresh, scene.admin, scene.review.id)
        table = ranking.rank_round(fresh, scene.admin, scene.review.id).table
        sheets = {
            (app_id, reviewer_id): reviews.get_sheet(fresh, reviewer_actor(scene.world, reviewer_id), app_id)
            for app_id, reviewer_id in assigned_pairs(fresh, scene.world, scene.review.id)
        }
        return round_.rubric_hash, content_hash(rubric), rubric, table, sheets
    finally:
        fresh.close()


def edited_library(tmp_path: Path) -> Path:
    """A copy of the shipped rubric files where project_life scores `digital_home` in whole points."""
    target = tmp_path / "data"
    shutil.copytree(loader.DATA_DIR, target)
    life = target / "project_life.yaml"
    text = life.read_text("utf-8")
    label = 'label: {zh: "新数字家庭与超高清视听", en: "Digital home and ultra-HD audio-visual"}'
    revised = 'label: {zh: "新数字家庭(修订)", en: "Digital home (revised)"}'
    block = "      - id: digital_home\n        {label}\n        max_points: 10\n        step: {step}\n"
    edited = text.replace(block.format(label=label, step="0.5"), block.format(label=revised, step="1"))
    assert edited != text, "the shipped project_life.yaml no longer has the expected digital_home block"
    life.write_text(edited, "utf-8")
    return target


def test_editing_the_shipped_rubric_after_scoring_changes_nothing_in_the_round(scored, tmp_path, monkeypatch):
    before = snapshot(scored.store, scored)
    monkeypatch.setattr(loader, "DATA_DIR", edited_library(tmp_path))
    load_rubric.cache_clear()
    try:
        shipped_now = load_rubric("project_life")
        assert content_hash(shipped_now) != before[0]  # the library did change
        assert shipped_now.criterion("digital_home").step == 1

        after = snapshot(scored.store, scored)
        frozen = rounds.round_rubric(scored.store, scored.admin, scored.review.id)
        # Scores are still checked against the round's own rubric: half points stay allowed there.
        seen = reviews.get_sheet(scored.store, scored.spare_reviewer, scored.spare_app).version
        draft = reviews.save_sheet(
            scored.store,
            scored.spare_reviewer,
            scored.spare_app,
            entries={"digital_home": {"points": Decimal("7.5")}},
            seen_version=seen,
        )
    finally:
        load_rubric.cache_clear()

    assert after[:3] == before[:3]
    pd.testing.assert_frame_equal(after[3], before[3])
    assert {k: v for k, v in after[4].items() if k != (scored.spare_app, scored.spare_reviewer.user_id)} == {
        k: v for k, v in before[4].items() if k != (scored.spare_app, scored.spare_reviewer.user_id)
    }
    assert frozen.criterion("digital_home").step == Decimal("0.5")
    assert draft.entries["digital_home"].points == Decimal("7.5")


def test_a_new_version_of_the_same_rubric_makes_a_new_round_and_leaves_the_scored_one(scored, tmp_path):
    before = snapshot(scored.store, scored)
    text = (edited_library(tmp_path) / "project_life.yaml").read_text("utf-8")

    uploaded_text, uploaded = rounds.rubric_upload(text.encode("utf-8"), "project_life.yaml")
    created = rounds.create_round(scored.store, scored.admin, name="生活类(修订版细则)", rubric_text=uploaded_text)

    after = snapshot(scored.store, scored)
    assert (created.rubric_id, created.state) == ("project_life", "draft")
    assert created.rubric_hash == content_hash(uploaded) != before[0]
    assert rounds.round_rubric(scored.store, scored.admin, created.id).criterion("digital_home").step == 1
    assert after[:3] == before[:3]
    pd.testing.assert_frame_equal(after[3], before[3])
    assert after[4] == before[4]


@pytest.mark.parametrize(
    "changes",
    [
        {"rubric_text": "{}"},
        {"rubric_id": "project_industry"},
        {"rubric_hash": "0" * 64},
        {"bands": [{"id": "all", "label": {"zh": "全部", "en": "All"}, "min": 0, "max": 110, "recommended": True}]},
    ],
    ids=["rubric-text", "rubric-id", "rubric-hash", "bands"],
)
def test_no_settings_change_replaces_the_rubric_of_a_round_under_review(scored, changes):
    before = snapshot(scored.store, scored)
    round_ = rounds.get_round(scored.store, scored.admin, scored.review.id)

    with pytest.raises(RoundStateError):
        rounds.update_settings(scored.store, scored.admin, round_.id, seen_version=round_.version, changes=changes)

    after = snapshot(scored.store, scored)
    assert after[:3] == before[:3]
    pd.testing.assert_frame_equal(after[3], before[3])


@pytest.mark.parametrize("key", ["rubric_text", "rubric_id", "rubric_hash"])
def test_an_open_round_refuses_rubric_fields_among_its_settings(scored, key):
    round_ = rounds.get_round(scored.store, scored.admin, scored.life.id)

    with pytest.raises(SubmissionError) as refusal:
        rounds.update_settings(
            scored.store, scored.admin, round_.id, seen_version=round_.version, changes={key: "project_industry"}
        )

    assert [p.field for p in refusal.value.problems] == [f"settings.{key}"]
    assert rounds.get_round(scored.store, scored.admin, round_.id) == round_
    assert rounds.round_rubric(scored.store, scored.admin, round_.id) == scored.life_rubric


def test_a_round_under_review_refuses_a_settings_change_even_with_the_right_keys(scored):
    round_ = rounds.get_round(scored.store, scored.admin, scored.review.id)

    with pytest.raises(RoundStateError) as refusal:
        rounds.update_settings(
            scored.store, scored.admin, round_.id, seen_version=round_.version, changes={"precision": 3}
        )

    assert "评审中" in refusal.value.message("zh") and "under review" in refusal.value.message("en")
    assert rounds.get_round(scored.store, scored.admin, round_.id) == round_


def test_only_creating_a_round_writes_its_rubric():
    """No code path but `rounds.create_round` sets a round's stored rubric or its hash."""
    writers = []
    for path in sorted((ROOT / "submissions").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for function in _outer_functions(tree):
            for node in ast.walk(function):
                targets = []
                if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.attr for t in targets if isinstance(t, ast.Attribute)]
                if isinstance(node, ast.Call):
                    called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                    if called in ("ReviewRound", "values"):  # a new row, or an INSERT/UPDATE's values
                        names += [k.arg for k in node.keywords if k.arg]
                    if called == "setattr":
                        names += [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
                if {"rubric_text", "rubric_hash"} & set(names):
                    writers.append(f"{path.relative_to(ROOT)}:{function.name}")
                    break
        source = path.read_text("utf-8").lower()
        assert "set rubric_text" not in source and "set rubric_hash" not in source, path

    assert sorted(set(writers)) == ["submissions/rounds.py:create_round"]


def _outer_functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Module-level functions and methods, each with everything nested in it."""
    kinds = ast.FunctionDef | ast.AsyncFunctionDef
    found = [n for n in tree.body if isinstance(n, kinds)]
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        found += [n for n in cls.body if isinstance(n, kinds)]
    return found
