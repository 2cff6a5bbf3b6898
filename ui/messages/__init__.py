"""The message catalogue: one table per language, looked up per session (never a process-wide install).

Each area of the interface keeps its messages in its own module; a key may be defined only once
across them, and every key exists in both languages (tests/app/test_messages.py).
"""

from __future__ import annotations

from collections.abc import Callable

from ui.messages import access, admin, applicant, common, privacy, results, reviewer

LANGUAGES = {"zh": "中文", "en": "English"}
AREAS = (common, applicant, reviewer, admin, results, access, privacy)


def _merged() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for area in AREAS:
        for lang in LANGUAGES:
            table = area.MESSAGES[lang]
            clash = merged[lang].keys() & table.keys()
            if clash:
                raise RuntimeError(f"message keys defined twice ({area.__name__}): {sorted(clash)}")
            merged[lang].update(table)
    return merged


MESSAGES = _merged()


def translator(lang: str) -> Callable[..., str]:
    """A lookup bound to one language; unknown keys show as themselves so a gap is visible."""
    table = MESSAGES.get(lang, MESSAGES["zh"])

    def t(key: str, **values: object) -> str:
        text = table.get(key, key)
        return text.format(**values) if values else text

    return t
