"""Messages of the applicant pages."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {},
    "en": {},
}
