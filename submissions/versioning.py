"""Optimistic locking: every update names the version the user saw."""

from __future__ import annotations

from submissions.errors import EditConflict


def check_version(current: int, seen: int, yours: object) -> None:
    """Refuse a save based on an old read; `yours` (the user's input) travels back in the error."""
    if current != seen:
        raise EditConflict(seen_version=seen, current_version=current, yours=yours)
