"""The submission is wrong: each problem at its field, in both interface languages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a submission, checked against its rubric.

    `field` is a dotted path such as `indicators.village_fibre_4g_rate` or
    `entries.market_prospect.points`; `code` is a stable machine-readable reason; each message names
    the field by its rubric label in that language and says what to do.
    """

    field: str
    code: str
    message_zh: str
    message_en: str

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh

    def __str__(self) -> str:
        return f"{self.field}: {self.message_en}"


class SubmissionError(ValueError):
    """The submission is wrong. Carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[FieldProblem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the submission has {len(self.problems)} problem(s):\n{lines}")


def raise_if_problems(problems: Iterable[FieldProblem]) -> None:
    """Raise `SubmissionError` when there is at least one problem; otherwise do nothing."""
    found = list(problems)
    if found:
        raise SubmissionError(found)


# -- the operation is not allowed ----------------------------------------------------------------


class OperationError(Exception):
    """The store refused an operation; `message(lang)` says why and what to do, in either language."""

    code = "operation_refused"

    def __init__(self, message_zh: str, message_en: str):
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(message_en)

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh


class AccessDenied(OperationError):
    """The record does not exist or the caller may not touch it; the two are indistinguishable on purpose."""

    code = "not_found_or_denied"

    def __init__(self) -> None:
        super().__init__(
            "找不到该记录,或您没有权限进行此操作。",
            "Not found, or you are not permitted to do this.",
        )


class EditConflict(OperationError):
    """Someone saved the record after the caller read it; the caller's input comes back untouched."""

    code = "edit_conflict"

    def __init__(self, *, seen_version: int, current_version: int, yours: object):
        self.seen_version = seen_version
        self.current_version = current_version
        self.yours = yours
        super().__init__(
            f"保存未成功:您打开后该内容已被修改(您看到的是第{seen_version}版,当前是第{current_version}版)。"
            "您填写的内容仍保留在页面上;请刷新查看最新内容后再合并保存。",
            f"Not saved: this was changed after you opened it (you saw version {seen_version}, it is now "
            f"version {current_version}). Your input is kept on the page; reload to see the latest version, "
            "then save again.",
        )


class RoundStateError(OperationError):
    code = "wrong_round_state"


class DeadlinePassed(OperationError):
    code = "deadline_passed"


class ConflictOfInterest(OperationError):
    code = "conflict_of_interest"


class LoginFailed(OperationError):
    """Unknown user, wrong password and a locked account all read the same."""

    code = "login_failed"

    def __init__(self) -> None:
        super().__init__(
            "用户名或密码不正确,或尝试次数过多;请稍后再试。",
            "Wrong user name or password, or too many attempts; try again later.",
        )


class StoreBusy(OperationError):
    """The database stayed busy through every retry; nothing was written and the caller may retry."""

    code = "store_busy"

    def __init__(self) -> None:
        super().__init__(
            "系统繁忙,本次操作未保存,也未做任何修改;请稍后重试。",
            "The system is busy; nothing was saved or changed. Please try again in a moment.",
        )


class StorageFull(OperationError):
    """The server could not write to its storage (full, or over a size limit); the operation rolled back."""

    code = "storage_full"

    def __init__(self) -> None:
        super().__init__(
            "服务器存储空间已满或无法写入,本次操作未保存,也未做任何修改;此前保存的内容不受影响。"
            "请通知系统管理员释放空间后重试。",
            "The server's storage is full or cannot be written; nothing was saved or changed, and what was "
            "saved before is intact. Ask the system administrator to free space, then try again.",
        )
