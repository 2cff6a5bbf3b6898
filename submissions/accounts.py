"""Accounts: organisations, users, passwords and login.

Passwords are hashed with argon2id at OWASP's minimum cost or above (m = 19 MiB, t = 2, p = 1).
Login answers an unknown user, a wrong password, a disabled account and a throttled name with the
same `LoginFailed`, and spends the same hashing time on each. Failures are counted per user name,
whether or not the name exists: after `FREE_FAILURES` failures the name is blocked for 30 s,
doubling with each further failure up to 15 minutes; a successful login clears the count.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rubrics.credit_code import problem as credit_code_problem
from submissions import audit
from submissions.access import Actor, verified_user
from submissions.contracts import text_problem
from submissions.errors import AccessDenied, FieldProblem, LoginFailed, SubmissionError
from submissions.models import ROLES, LoginThrottle, Organisation, User
from submissions.store import Store

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
FREE_FAILURES = 5
FIRST_BLOCK = dt.timedelta(seconds=30)
LONGEST_BLOCK = dt.timedelta(minutes=15)
PASSWORD_MIN, PASSWORD_MAX = 10, 128
_DUMMY_HASH = HASHER.hash("an unguessable placeholder for unknown users")


def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


@dataclass(frozen=True)
class OrganisationView:
    id: int
    name: str
    credit_code: str | None
    region: str


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    role: str
    organisation_id: int | None
    region: str | None
    active: bool


def _problem(field: str, code: str, zh: str, en: str) -> SubmissionError:
    return SubmissionError([FieldProblem(field, code, zh, en)])


def _check_name(value: str, field: str, zh: str, en: str, limit: int = 200) -> str:
    value = value.strip()
    fault = text_problem(value, limit, field=field, label_zh=zh, label_en=en)
    if fault is not None and fault.code != "too_long":
        raise SubmissionError([fault])
    if not value or len(value) > limit:
        raise _problem(field, "bad_text", f"请填写{zh}(1至{limit}个字)。", f"Enter the {en} (1 to {limit} characters).")
    return value


def _check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise _problem(
            "password",
            "weak_password",
            f"密码长度应为{PASSWORD_MIN}至{PASSWORD_MAX}个字符;请另设密码。",
            f"The password must have {PASSWORD_MIN} to {PASSWORD_MAX} characters; choose another.",
        )
    if len(set(password)) < 4:
        raise _problem(
            "password",
            "weak_password",
            "密码过于简单(至少需要4种不同字符);请另设密码。",
            "The password is too simple (it needs at least 4 different characters); choose another.",
        )


def _check_credit_code(credit_code: str) -> str:
    code = credit_code.strip().upper()
    english = credit_code_problem(code)
    if english is not None:
        raise _problem(
            "credit_code", "bad_credit_code", f"统一社会信用代码“{code}”无效,请核对后重新填写。", f"{english}."
        )
    return code


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise _problem(
            "role",
            "bad_role",
            "角色只能是管理员、评审专家或申报单位。",
            "The role must be admin, reviewer or applicant.",
        )


def _check_username(username: str) -> str:
    login = normalise_username(username)
    if not login or len(login) > 64 or any(c.isspace() or unicodedata.category(c)[0] == "C" for c in login):
        raise _problem(
            "username",
            "bad_username",
            "用户名应为1至64个字符,不含空格或控制字符。",
            "The user name must have 1 to 64 characters, without spaces or control characters.",
        )
    return login


def hashed(password: str) -> str:
    """The argon2id hash of an acceptable password (the policy is checked first)."""
    _check_password(password)
    return HASHER.hash(password)


def _organisation_view(org: Organisation) -> OrganisationView:
    return OrganisationView(org.id, org.name, org.credit_code, org.region)


def _user_view(user: User) -> UserView:
    return UserView(
        user.id, user.username, user.display_name, user.role, user.organisation_id, user.region, user.active
    )


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, user.display_name, user.role, user.organisation_id, user.region)


# -- organisations --------------------------------------------------------------------------------


def add_organisation(session: Session, store: Store, actor: Actor | None, *, name: str, credit_code: str, region: str):
    """Insert an organisation inside the caller's transaction (used by imports as well)."""
    name = _check_name(name, "name", "单位名称", "organisation name")
    region = _check_name(region, "region", "所在地区", "region", limit=64)
    code = _check_credit_code(credit_code)
    if session.scalar(select(Organisation.id).where(Organisation.credit_code == code)) is not None:
        raise _problem(
            "credit_code",
            "duplicate_credit_code",
            f"统一社会信用代码为“{code}”的单位已存在;请勿重复登记。",
            f"An organisation with credit code {code} already exists; do not register it twice.",
        )
    org = Organisation(name=name, credit_code=code, region=region, created_at=store.now())
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor,
        "organisation.create",
        "organisation",
        org.id,
        at=store.now(),
        after={"name": name, "credit_code": code, "region": region},
    )
    return org


def create_organisation(store: Store, actor: Actor, *, name: str, credit_code: str, region: str) -> OrganisationView:
    def work(session: Session) -> OrganisationView:
        verified_user(session, actor, "admin")
        return _organisation_view(
            add_organisation(session, store, actor, name=name, credit_code=credit_code, region=region)
        )

    return store.write(actor, "organisation.create", work, target="organisation:new")


def list_organisations(store: Store, actor: Actor) -> list[OrganisationView]:
    def work(session: Session) -> list[OrganisationView]:
        verified_user(session, actor, "admin")
        return [_organisation_view(o) for o in session.scalars(select(Organisation).order_by(Organisation.id))]

    return store.read(actor, "organisation.list", work)


# -- users ----------------------------------------------------------------------------------------


def add_user(
    session: Session,
    store: Store,
    actor: Actor | None,
    *,
    username: str,
    display_name: str,
    role: str,
    password_hash: str,
    organisation_id: int | None,
    region: str | None,
) -> UserView:
    """Insert a user inside the caller's transaction, checked like `create_user` (used by imports).

    The caller hashes the password first (`hashed`), outside any transaction: it takes ~40 ms.
    """
    _check_role(role)
    login = _check_username(username)
    display_name = _check_name(display_name, "display_name", "姓名", "display name")
    if role == "applicant" and organisation_id is None:
        raise _problem(
            "organisation_id",
            "missing_organisation",
            "申报单位账号必须关联单位。",
            "An applicant account needs its organisation.",
        )
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise _problem(
            "organisation_id", "unknown_organisation", "所选单位不存在。", "The chosen organisation does not exist."
        )
    if session.scalar(select(User.id).where(User.username == login)) is not None:
        raise _problem(
            "username",
            "duplicate_username",
            f"用户名“{login}”已被使用;请换一个。",
            f"The user name {login} is taken; choose another.",
        )
    user = User(
        username=login,
        display_name=display_name,
        role=role,
        organisation_id=organisation_id,
        region=(region or "").strip() or None,
        password_hash=password_hash,
        active=True,
        created_at=store.now(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        "user",
        user.id,
        at=store.now(),
        after={"username": login, "role": role, "organisation_id": organisation_id, "region": user.region},
    )
    return _user_view(user)


def create_user(
    store: Store,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    organisation_id: int | None = None,
    region: str | None = None,
) -> UserView:
    store.read(actor, "user.create", lambda session: verified_user(session, actor, "admin"), target="user:new")
    password_hash = hashed(password)  # ~40 ms of CPU: done before the write lock is taken

    def work(session: Session) -> UserView:
        verified_user(session, actor, "admin")
        return add_user(
            session,
            store,
            actor,
            username=username,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            organisation_id=organisation_id,
            region=region,
        )

    return store.write(actor, "user.create", work, target="user:new")


def bootstrap_admin(store: Store, *, username: str, display_name: str, password: str) -> UserView:
    """The first administrator of an empty store; refused once any user exists."""
    password_hash = hashed(password)

    def work(session: Session) -> UserView:
        if session.scalar(select(func.count()).select_from(User)):
            raise _problem(
                "username",
                "already_bootstrapped",
                "系统中已有用户,请由管理员创建新账号。",
                "Users already exist; ask an administrator to create the account.",
            )
        return add_user(
            session,
            store,
            None,
            username=username,
            display_name=display_name,
            role="admin",
            password_hash=password_hash,
            organisation_id=None,
            region=None,
        )

    return store.db.write(work)


def list_users(store: Store, actor: Actor, *, role: str | None = None) -> list[UserView]:
    def work(session: Session) -> list[UserView]:
        verified_user(session, actor, "admin")
        query = select(User).order_by(User.id)
        if role is not None:
            query = query.where(User.role == role)
        return [_user_view(u) for u in session.scalars(query)]

    return store.read(actor, "user.list", work)


def set_active(store: Store, actor: Actor, user_id: int, *, active: bool) -> UserView:
    def work(session: Session) -> UserView:
        verified_user(session, actor, "admin")
        user = session.get(User, user_id)
        if user is None or user.id == actor.user_id:
            raise AccessDenied()
        before = user.active
        user.active = active
        audit.record(
            session,
            actor,
            "user.active",
            "user",
            user_id,
            at=store.now(),
            before={"active": before},
            after={"active": active},
        )
        return _user_view(user)

    return store.write(actor, "user.active", work, target=f"user:{user_id}")


def change_password(store: Store, actor: Actor, *, current: str, new: str) -> None:
    store.read(actor, "user.password", lambda session: verified_user(session, actor), target=f"user:{actor.user_id}")
    new_hash = hashed(new)

    def work(session: Session) -> None:
        user = verified_user(session, actor)
        try:
            HASHER.verify(user.password_hash, current)
        except (VerificationError, InvalidHashError):
            raise _problem("current", "wrong_password", "当前密码不正确。", "The current password is wrong.") from None
        user.password_hash = new_hash
        audit.record(session, actor, "user.password", "user", user.id, at=store.now())

    store.write(actor, "user.password", work, target=f"user:{actor.user_id}")


# -- login ----------------------------------------------------------------------------------------


def _block_for(failures: int) -> dt.timedelta | None:
    if failures < FREE_FAILURES:
        return None
    return min(FIRST_BLOCK * 2 ** (failures - FREE_FAILURES), LONGEST_BLOCK)


def login(store: Store, username: str, password: str) -> Actor:
    """The actor for a correct user name and password; `LoginFailed` for anything else."""
    name = normalise_username(username)[:64]
    now = store.now()

    def check(session: Session) -> tuple[User | None, bool]:
        throttle = session.get(LoginThrottle, name)
        blocked = throttle is not None and throttle.blocked_until is not None and throttle.blocked_until > now
        user = session.scalar(select(User).where(User.username == name))
        return user, blocked

    user, blocked = store.db.read(check)
    try:
        HASHER.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
        verified = user is not None and user.active and not blocked
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        verified = False
    rehashed = HASHER.hash(password) if verified and HASHER.check_needs_rehash(user.password_hash) else None

    def settle(session: Session) -> int | None:
        throttle = session.get(LoginThrottle, name)
        if verified:
            if throttle is not None:
                session.delete(throttle)
            assert user is not None
            if rehashed is not None:
                session.get(User, user.id).password_hash = rehashed
            entry = audit.record(session, actor_of(user), "login", "user", user.id, at=now)
            session.flush()
            return entry.id  # the session's id: its end is logged against it
        if blocked:  # attempts while blocked neither count nor extend the block
            audit.record(session, None, "login", "user", name, at=now, outcome="denied", after={"blocked": True})
            return None
        if throttle is None:
            throttle = LoginThrottle(username=name, failures=0)
            session.add(throttle)
        throttle.failures += 1
        wait = _block_for(throttle.failures)
        throttle.blocked_until = now + wait if wait else None
        audit.record(
            session, None, "login", "user", name, at=now, outcome="denied", after={"failures": throttle.failures}
        )
        return None

    session_id = store.db.write(settle)
    if not verified:
        raise LoginFailed()
    assert user is not None
    return replace(actor_of(user), session=session_id)


def actor_of_view(user: UserView) -> Actor:
    return Actor(user.id, user.username, user.display_name, user.role, user.organisation_id, user.region)


# -- for the administrators' pages and the accounts import ------------------------------------------


def _collected(*checks: Callable[[], object]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for check in checks:
        try:
            check()
        except SubmissionError as exc:
            problems += exc.problems
    return problems


def password_problems(password: str) -> list[FieldProblem]:
    """What the password policy says about `password` (nothing when it is acceptable)."""
    return _collected(lambda: _check_password(password))


def organisation_problems(*, name: str, credit_code: str, region: str) -> list[FieldProblem]:
    """Every field problem `add_organisation` would find before looking at the store, not just the first."""
    return _collected(
        lambda: _check_name(name, "name", "单位名称", "organisation name"),
        lambda: _check_name(region, "region", "所在地区", "region", limit=64),
        lambda: _check_credit_code(credit_code),
    )


def user_problems(*, username: str, display_name: str, role: str, password: str) -> list[FieldProblem]:
    """Every field problem `create_user` would find before looking at the store, not just the first."""
    return _collected(
        lambda: _check_role(role),
        lambda: _check_username(username),
        lambda: _check_name(display_name, "display_name", "姓名", "display name"),
        lambda: _check_password(password),
    )


def organisation_ids_by_code(session: Session, codes: set[str]) -> dict[str, int]:
    """Registered organisations among `codes`: credit code -> id."""
    if not codes:
        return {}
    query = select(Organisation.credit_code, Organisation.id).where(Organisation.credit_code.in_(sorted(codes)))
    return {code: org_id for code, org_id in session.execute(query).tuples()}


def user_directory(store: Store, actor: Actor) -> pd.DataFrame:
    """Every user with their organisation's name, in creation order (admins only)."""

    def work(session: Session) -> pd.DataFrame:
        verified_user(session, actor, "admin")
        rows = session.execute(
            select(
                User.id,
                User.username,
                User.display_name,
                User.role,
                Organisation.name,
                User.region,
                User.active,
                User.created_at,
            )
            .outerjoin(Organisation, Organisation.id == User.organisation_id)
            .order_by(User.id)
        ).all()
        return pd.DataFrame(
            rows,
            columns=["id", "username", "display_name", "role", "organisation", "region", "active", "created_at"],
        )

    return store.read(actor, "user.list", work)


# -- sessions -------------------------------------------------------------------------------------

SIGN_OUT_REASONS = frozenset({"user", "idle", "absolute"})


def logout(store: Store, actor: Actor, *, reason: str = "user") -> None:
    """Record the end of a session: by the user, or by the idle or absolute timeout.

    The entry names the session the login opened, which ends it for every later service call
    (`access.verified_user`): page state kept past this point cannot act. The audit log refuses
    UPDATE and DELETE, so an ended session cannot be revived.
    """
    if reason not in SIGN_OUT_REASONS:
        raise ValueError(f"unknown sign-out reason {reason!r}")
    target = ("session", actor.session) if actor.session is not None else ("user", actor.user_id)

    def work(session: Session) -> None:
        audit.record(session, actor, "logout", *target, at=store.now(), after={"reason": reason})

    store.db.write(work)


def page_denied(store: Store, actor: Actor | None, page: str) -> None:
    """Record that someone opened a page their role may not use (reached by URL or stale state)."""

    def work(session: Session) -> None:
        audit.record(session, actor, "page.open", "page", page, at=store.now(), outcome="denied")

    store.db.write(work)


def open_page(store: Store, actor: Actor | None, page: str, roles: tuple[str, ...]) -> Actor:
    """The actor, when the database confirms they may open a page for `roles`; otherwise `AccessDenied`.

    The role is checked against the account as it is now, not as the session remembers it: a disabled
    account, an ended session or a role written into the session state opens nothing. Logged as a
    denied `page.open` of `page`.
    """
    if actor is None:
        page_denied(store, None, page)
        raise AccessDenied()
    store.read(actor, "page.open", lambda session: verified_user(session, actor, *roles), target=f"page:{page}")
    return actor


def confirm_session(store: Store, actor: Actor) -> Actor:
    """The actor, when their account and session still stand; otherwise `AccessDenied` (logged)."""
    target = f"user:{getattr(actor, 'user_id', '-')}"
    store.read(actor, "session.check", lambda session: verified_user(session, actor), target=target)
    return actor
