"""Messages for the access area (see ui/messages/__init__.py)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "session_invalid": "您的登录已失效(账号已停用、权限已变更或已在别处退出),请重新登录。",
    },
    "en": {
        "session_invalid": (
            "Your session is no longer valid (the account was disabled, its role changed, or the session "
            "ended elsewhere). Please sign in again."
        ),
    },
}
