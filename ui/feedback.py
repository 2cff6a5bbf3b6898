"""Refusals and validation problems from the libraries, shown in the session's language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st

from submissions.errors import OperationError, SubmissionError
from ui.session import lang, t
from ui.text import escaped


def show_problems(exc: SubmissionError) -> None:
    """One line per problem, each naming its field in the user's language."""
    st.error(t("problems_heading", count=len(exc.problems)))
    st.text("\n".join(f"- {problem.message(lang())}" for problem in exc.problems))


def show_refusal(exc: OperationError) -> None:
    # Refusals may quote names and titles that users typed; st.error renders markdown.
    st.error(escaped(exc.message(lang())))


@dataclass
class Outcome:
    ok: bool = False
    error: Exception | None = None


@contextmanager
def reported() -> Iterator[Outcome]:
    """Run service calls; a refusal or validation failure becomes a message instead of a traceback.

    The services change nothing when they raise, so the page can carry on rendering; `outcome.ok`
    tells whether the block ran to the end, `outcome.error` what stopped it.
    """
    outcome = Outcome()
    try:
        yield outcome
        outcome.ok = True
    except SubmissionError as exc:
        outcome.error = exc
        show_problems(exc)
    except OperationError as exc:
        outcome.error = exc
        show_refusal(exc)
