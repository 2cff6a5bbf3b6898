"""The demo app with hostile text (HTML, script, markdown, LaTeX, shortcodes) in every field people type.

Seeded once per test module through the services, on a copy of the demo database: organisation
and people's names and regions, three rounds named with it (one under review, one published, one
open with an uploaded rubric whose every label is hostile), applications with hostile titles,
narratives, evidence and attachment names, self-assessments, reviewers' comments, a declared
conflict and an administrator's reopening, both with hostile reasons. Each test then gets its
own copy (`hostile_pages`), opened like the demo app (`tests.support.app_fixtures.Pages`). Import
`hostile_pages_fixture` and `hostile_template_fixture` into a test module to use them.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from rubrics.loader import load_rubric
from scoring.synthetic import credit_codes
from submissions import accounts, applications, assignments, reviews, rounds
from submissions.config import StoreConfig
from submissions.rounds import frozen_rubric_text
from submissions.store import Store
from tests.security.inert import hostile
from tests.submissions.store.scenario import full_entries, valid_fields
from tests.support.app_fixtures import APP, DEMO_PASSWORD, Pages
from ui.navigation import PAGES
from ui.session import SignedIn, now
from ui.store import get_store
from ui.widgets import CURRENT_ROUND_KEY

PDF = b"%PDF-1.7\n%%EOF\n"
APPLICANT = "hostile-applicant"
REVIEWERS = ("hostile-reviewer1", "hostile-reviewer2", "hostile-reviewer3")
URLS = {spec.path: spec.url for spec in PAGES}
ATTACHMENT = "**b0ld** `c0de` ~~s7~~ _1t4l_ $x$ 〔附件〕.pdf"


@dataclass
class HostileWorld:
    """Where the hostile text is: round and application ids, and the tag of every field seeded.
    Every round is built on the uploaded rubric whose labels are hostile."""

    reviewing: int = 0  # round under review
    published: int = 0
    uploaded: int = 0  # open round
    mine: int = 0  # the hostile applicant's application under review
    theirs: int = 0  # another organisation's, under review
    draft: int = 0  # the hostile applicant's draft in the uploaded rubric's round
    shown: int = 0  # the hostile applicant's published application
    tags: dict[str, str] = field(default_factory=dict)

    def text(self, tag: str) -> str:
        return self.tags[tag]

    def put(self, tag: str, *, short: bool = False) -> str:
        self.tags[tag] = hostile(tag, short=short)
        return self.tags[tag]


def hostile_rubric(world: HostileWorld) -> str:
    """project_life as an uploaded rubric with every label, unit, hint and level descriptor hostile."""
    doc = json.loads(frozen_rubric_text(load_rubric("project_life")))
    count = iter(range(1000))

    def relabel(item: dict, key: str = "label") -> None:
        text = world.put(f"细则{next(count)}")
        item[key] = {"zh": text, "en": text}

    doc["id"] = "hostile_rubric"
    relabel(doc, "title")
    groups = ("categories", "indicators", "dimensions", "bands", "gates", "vetoes")
    for item in [i for g in groups for i in doc.get(g) or []] + list((doc.get("bonus") or {}).get("items", [])):
        relabel(item)
        for criterion in item.get("criteria", []):
            relabel(criterion)
            for level in criterion.get("levels") or []:
                relabel(level, "descriptor")
            if criterion.get("evidence"):
                relabel(criterion, "evidence")
        if item.get("failure"):
            relabel(item, "failure")
    return json.dumps(doc, ensure_ascii=False)


def _actor(store: Store, username: str):
    return Pages(store).actor(username)


def _application(store, applicant, round_id: int, world: HostileWorld, tag: str, region: str, submit: bool = True):
    rubric = rounds.round_rubric(store, applicant, round_id)
    fields = valid_fields(rubric, region=region, title=world.put(f"{tag}标题"))
    narrative = world.put(f"{tag}说明") + "\n# H3ad 第二段"
    fields["narratives"] = {cid: narrative for cid in fields["narratives"]}
    fields["evidence"] = {cid: world.put(f"{tag}佐证") for cid in fields["narratives"]}
    draft = applications.create_application(
        store, applicant, round_id, category=fields["category"], title=fields["title"], region=region
    )
    saved = applications.save_application(store, applicant, draft.id, seen_version=draft.version, changes=fields)
    if not submit:
        return saved
    world.tags["附件"] = applications.add_attachment(store, applicant, saved.id, filename=ATTACHMENT, data=PDF).filename
    judged = [c for c in rubric.criteria if c.method == "judged" and c.id not in rubric.bonus_ids]
    applications.save_self_assessment(
        store, applicant, saved.id, points={c.id: Decimal(str(c.max_points)) for c in judged}, seen_version=0
    )
    current = applications.get_application(store, applicant, saved.id)
    return applications.submit_application(store, applicant, saved.id, seen_version=current.version)


def _round(store, admin, world: HostileWorld, tag: str, region: str, rubric_text: str | None = None, **extra) -> int:
    created = rounds.create_round(
        store,
        admin,
        name=world.put(f"{tag}轮次"),
        settings={"regions": [region, "广东", "湖北"], "blind_policy": "named_after_submit", **extra},
        **({"rubric_text": rubric_text} if rubric_text else {"rubric_id": "project_life"}),
    )
    return rounds.advance(store, admin, created.id, to_state="open", seen_version=created.version).id


def _review(store, admin, round_id: int, app_ids: list[int], reviewers: list) -> None:
    for app_id in app_ids:
        for reviewer in reviewers:
            assignments.assign(store, admin, app_id, reviewer.user_id)
    current = rounds.get_round(store, admin, round_id)
    rounds.advance(store, admin, round_id, to_state="under_review", seen_version=current.version)


def seed(store: Store) -> HostileWorld:
    world = HostileWorld()
    admin = _actor(store, "admin")
    region = world.put("地区", short=True)
    code = str(credit_codes(1, np.random.default_rng(23))[0])
    org = accounts.create_organisation(
        store, admin, name=world.put("单位"), credit_code=code, region=world.put("单位地区", short=True)
    )
    accounts.create_user(
        store,
        admin,
        username=APPLICANT,
        display_name=world.put("联系人"),
        role="applicant",
        password=DEMO_PASSWORD,
        organisation_id=org.id,
        region=world.put("用户地区", short=True),
    )
    for n, username in enumerate(REVIEWERS, start=1):
        accounts.create_user(
            store,
            admin,
            username=username,
            display_name=world.put(f"专家{n}"),
            role="reviewer",
            password=DEMO_PASSWORD,
            organisation_id=None,
            region=None,
        )
    applicant = _actor(store, APPLICANT)
    first, second, third = (_actor(store, u) for u in REVIEWERS)
    rubric = load_rubric("project_life")  # the hostile rubric has the same ids and points
    uploaded = hostile_rubric(world)

    # Under review: two applications, three reviewers, a conflict, a reopened sheet, a draft.
    world.reviewing = _round(store, admin, world, "评审", region, uploaded, reviewers_per_application=3)
    world.mine = _application(store, applicant, world.reviewing, world, "评审", region).id
    world.theirs = _application(store, _actor(store, "yunqi"), world.reviewing, world, "他人", "广东").id
    _review(store, admin, world.reviewing, [world.mine, world.theirs], [first, second, third])
    for reviewer, tag in ((first, "评语1"), (second, "评语2")):
        for app_id in (world.mine, world.theirs):
            entries = full_entries(rubric, comment=world.put(tag) + "\n# H3ad 第二行")
            submit = not (reviewer is second and app_id == world.theirs)  # one draft stays open
            reviews.save_sheet(store, reviewer, app_id, entries=entries, seen_version=0, submit=submit)
    reviews.declare_conflict(store, third, world.mine, reason=world.put("回避理由"))
    reviews.save_sheet(
        store,
        third,
        world.theirs,
        entries=full_entries(rubric, comment=world.put("评语3")),
        seen_version=0,
        submit=True,
    )
    reviews.reopen_sheet(store, admin, world.theirs, first.user_id, reason=world.put("退回理由"))

    # Published: the applicant's results, self against panel.
    world.published = _round(store, admin, world, "公示", region, uploaded, reviewers_per_application=2)
    world.shown = _application(store, applicant, world.published, world, "公示", region).id
    _review(store, admin, world.published, [world.shown], [first, second])
    for reviewer in (first, second):
        entries = full_entries(rubric, comment=world.put("公示评语"))
        reviews.save_sheet(store, reviewer, world.shown, entries=entries, seen_version=0, submit=True)
    for state in ("closed", "published"):
        current = rounds.get_round(store, admin, world.published)
        rounds.advance(store, admin, world.published, to_state=state, seen_version=current.version)

    # Open, from an uploaded rubric whose labels are hostile: the applicant's form is built from them.
    world.uploaded = _round(store, admin, world, "细则", region, uploaded)
    world.draft = _application(store, applicant, world.uploaded, world, "草稿", region, submit=False).id
    return world


@pytest.fixture(scope="module", name="hostile_template")
def hostile_template_fixture(demo_template, tmp_path_factory) -> tuple[Path, HostileWorld]:
    target = tmp_path_factory.mktemp("hostile-demo")
    shutil.copytree(demo_template, target, dirs_exist_ok=True)
    store = Store(StoreConfig.for_directory(target))
    try:
        world = seed(store)
    finally:
        store.close()
    return target, world


class HostilePages(Pages):
    """The demo app with hostile text everywhere, as any user, with a round already chosen."""

    def __init__(self, store: Store, world: HostileWorld):
        super().__init__(store)
        self.world = world

    def show(self, path: str, *, user: str, lang: str = "zh", round_id: int | None = None, query=None) -> AppTest:
        app = AppTest.from_file(APP, default_timeout=60)
        app.session_state["lang"] = lang
        moment = now()
        app.session_state["auth"] = SignedIn(self.actor(user), moment, moment)
        if round_id is not None:
            app.session_state[CURRENT_ROUND_KEY] = round_id
        for key, value in (query or {}).items():
            app.query_params[key] = str(value)
        if Path(path).stem != URLS[path]:
            app.run()  # before a first run AppTest finds pages by file name, not by their url
        app.switch_page(path)
        return app.run()


@pytest.fixture(name="hostile_pages")
def hostile_pages_fixture(hostile_template, tmp_path, monkeypatch) -> HostilePages:
    source, world = hostile_template
    data = tmp_path / "data"
    shutil.copytree(source, data)
    monkeypatch.setenv("APP_DATA_DIR", str(data))
    get_store.clear()
    store = Store.open()
    yield HostilePages(store, world)
    store.close()
    get_store.clear()
