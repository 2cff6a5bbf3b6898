"""Messages for the access area (see ui/messages/__init__.py)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {},
    "en": {},
}
