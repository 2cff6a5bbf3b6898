"""The people every store test starts with, created through the services (real argon2 hashes).

Built once per test session into a template database; each test gets its own copy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scoring.synthetic import credit_codes
from submissions import accounts
from submissions.access import Actor
from submissions.store import Store

PASSWORD = "correct horse battery"
ORGANISATIONS = (
    ("广州市星河数字科技有限公司", "广东"),
    ("武汉江城智慧健康服务有限公司", "湖北"),
    ("重庆山城云计算有限公司", "重庆"),
)
REVIEWERS = (
    ("张伟", 0, "北京"),  # works at the first applicant organisation: always conflicted with it
    ("王芳", None, "广东"),
    ("李娜", None, "湖北"),
    ("刘洋", None, "重庆"),
    ("陈静", None, "浙江"),
    ("杨帆", None, "上海"),
)


@dataclass
class World:
    admin: Actor
    applicants: list[Actor] = field(default_factory=list)
    reviewers: list[Actor] = field(default_factory=list)
    organisation_ids: list[int] = field(default_factory=list)


class Clock:
    """A settable clock so deadline rules can be tested at both sides of the line."""

    def __init__(self, start: dt.datetime | None = None):
        self.now = start or dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def build_world(store: Store) -> World:
    import numpy as np

    admin_view = accounts.bootstrap_admin(store, username="admin", display_name="省工信厅管理员", password=PASSWORD)
    admin = Actor(admin_view.id, admin_view.username, admin_view.display_name, "admin")
    world = World(admin)
    codes = credit_codes(len(ORGANISATIONS), np.random.default_rng(7))
    for (name, region), code in zip(ORGANISATIONS, codes, strict=True):
        org = accounts.create_organisation(store, admin, name=name, credit_code=str(code), region=region)
        world.organisation_ids.append(org.id)
    for i, org_id in enumerate(world.organisation_ids):
        user = accounts.create_user(
            store,
            admin,
            username=f"applicant{i + 1}",
            display_name=f"申报联系人{i + 1}",
            role="applicant",
            password=PASSWORD,
            organisation_id=org_id,
            region=ORGANISATIONS[i][1],
        )
        world.applicants.append(accounts.actor_of_view(user))
    for i, (name, org_index, region) in enumerate(REVIEWERS):
        user = accounts.create_user(
            store,
            admin,
            username=f"reviewer{i + 1}",
            display_name=name,
            role="reviewer",
            password=PASSWORD,
            organisation_id=None if org_index is None else world.organisation_ids[org_index],
            region=region,
        )
        world.reviewers.append(accounts.actor_of_view(user))
    return world
