"""A round's ranking, computed from the store by the scoring engine and cached per revision.

The scores are read in one query: every submitted, non-conflicted sheet of the round, ordered by
application and reviewer, each sheet's points a JSON list in the rubric's criterion order, parsed
together by pandas' C reader. They reach `scoring.evaluate` in long format with categorical id
columns in exactly the order the engine's fast path expects (application, reviewer, criterion).
Applications, sheets and the round's settings are read in the same snapshot, through the driver's
cursor: for 50,000 sheets SQLAlchemy's row objects would cost more than the engine itself.

The result is cached per process under (round, revision, method). The revision is the round's
newest audit entry: every change that can move a ranking writes one in its own transaction, so a
cached result is never served after a change, whichever app server made it, and concurrent saves
never contend for a shared counter row.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from rubrics.schema import Rubric
from scoring import Evaluation, evaluate, self_gaps
from scoring.compiled import compile_rubric
from scoring.statistics import reliability
from submissions.access import Actor, require_state, verified_user
from submissions.errors import AccessDenied
from submissions.models import (
    Application,
    AuditEntry,
    Conflict,
    Organisation,
    ReviewRound,
    ScoreSheet,
    SelfAssessment,
)
from submissions.rounds import RoundSettings, load_round, rubric_of, settings_of
from submissions.store import Store

CACHE_SIZE = 16
APPLICATION_COLUMNS = {
    "id": "app:id",
    "title": "app:title",
    "organisation_id": "app:organisation_id",
    "organisation": "app:organisation",
}
_REVIEWER_PREFIX = "R"


def reviewer_label(user_id: int) -> str:
    """The engine's reviewer id for a user: zero-padded so that string order is id order."""
    return f"{_REVIEWER_PREFIX}{user_id:09d}"


def reviewer_user_id(label: str) -> int:
    return int(label[len(_REVIEWER_PREFIX) :])


@dataclass(frozen=True, eq=False)
class RoundRanking:
    """The evaluation of a round plus what the screens and exports show beside it."""

    round_id: int
    round_name: str
    revision: int
    rubric: Rubric
    settings: RoundSettings
    evaluation: Evaluation
    applications: pd.DataFrame  # id, reference, title, organisation_id, organisation, category, region
    submitted_sheets: Sheets

    @property
    def sheets(self) -> int:
        return len(self.submitted_sheets)

    @property
    def table(self) -> pd.DataFrame:
        """The evaluation table with each application's store id, title and organisation beside its id.

        Those columns are named `app:<name>`: rubric ids cannot contain a colon, so they never clash
        with a criterion's column (the city rubric has a criterion called `organisation`).
        """
        table = self.evaluation.table.reset_index(drop=True)
        meta = (
            self.applications.set_index("reference")[list(APPLICATION_COLUMNS)]
            .rename(columns=APPLICATION_COLUMNS)
            .reindex(table["application_id"].astype(str))
            .reset_index(drop=True)
        )
        return pd.concat([table[["application_id"]], meta, table.drop(columns=["application_id"])], axis=1)

    def reliability(self) -> dict[str, object]:
        """ICC forms and Kendall's W over reviewers' totals of the judged main criteria."""
        panel = self.evaluation.panel
        main = compile_rubric(self.rubric).judged_main[panel.judged_columns]
        return reliability(panel, np.flatnonzero(main))


def fetch_rows(session: Session, statement: Select) -> list[tuple]:
    """Plain tuples from the driver, inside the session's transaction (no SQLAlchemy row objects)."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    params = compiled.params
    args = tuple(params[name] for name in compiled.positiontup) if compiled.positional else params
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        return cursor.fetchall()
    finally:
        cursor.close()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading a round allocates ~10^5 small tuples that all live on; cyclic GC passes over them only cost."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def revision(session: Session, round_id: int) -> int:
    """The id of the round's newest successful change: it moves with anything that can move a ranking.

    Exports are audited on the round too, but they change nothing, so they do not count: otherwise
    every download would throw the cached ranking away.
    """
    newest = session.scalar(
        select(func.max(AuditEntry.id)).where(
            AuditEntry.round_id == round_id,
            AuditEntry.outcome == "ok",
            AuditEntry.action.not_like("export.%"),
        )
    )
    return int(newest or 0)


def parse_points(texts: list[str], n_criteria: int) -> np.ndarray:
    """Sheets' JSON point lists -> a (sheets, criteria) float matrix, NaN where not scored."""
    body = "\n".join(texts).replace("[", "").replace("]", "")
    matrix = pd.read_csv(
        io.StringIO(body),
        header=None,
        names=range(n_criteria),
        na_values=["null"],
        keep_default_na=False,
        skipinitialspace=True,
        dtype=np.float64,
        engine="c",
    ).to_numpy()
    if matrix.shape != (len(texts), n_criteria):
        raise ValueError(f"stored score sheets do not match the rubric's {n_criteria} criteria")
    return matrix


def _applications(session: Session, round_id: int, rubric: Rubric) -> pd.DataFrame:
    rows = fetch_rows(
        session,
        select(
            Application.id,
            Application.reference,
            Application.title,
            Application.organisation_id,
            Organisation.name,
            Organisation.credit_code,
            Application.category,
            Application.region,
            Application.indicators,
            Application.declarations,
        )
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Application.round_id == round_id, Application.status == "submitted")
        .order_by(Application.id),
    )
    columns = ["id", "reference", "title", "organisation_id", "organisation", "credit_code", "category", "region"]
    frame = pd.DataFrame([r[:8] for r in rows], columns=columns)
    indicators = pd.DataFrame.from_records(json.loads("[" + ",".join(r[8] for r in rows) + "]"), index=frame.index)
    declarations = pd.DataFrame.from_records(json.loads("[" + ",".join(r[9] for r in rows) + "]"), index=frame.index)
    wanted_indicators = [i.id for i in rubric.indicators]
    wanted_declarations = [g.id for g in rubric.gates if g.check == "declared"] + [v.id for v in rubric.vetoes]
    for column in wanted_indicators:
        frame[column] = indicators.get(column, np.nan)
    for column in wanted_declarations:
        frame[column] = declarations.get(column, pd.NA)
    return frame


@dataclass(frozen=True)
class Sheets:
    """The submitted sheets a ranking used: one row per sheet, points in rubric criterion order."""

    application_ids: np.ndarray  # store ids, ascending
    reviewer_ids: np.ndarray  # user ids
    points: np.ndarray  # (sheets, criteria), NaN where not scored

    def __len__(self) -> int:
        return len(self.application_ids)


def _scores(session: Session, round_id: int, rubric: Rubric, applications: pd.DataFrame) -> tuple[pd.DataFrame, Sheets]:
    conflicted = exists().where(
        Conflict.application_id == ScoreSheet.application_id, Conflict.reviewer_id == ScoreSheet.reviewer_id
    )
    rows = fetch_rows(
        session,
        select(ScoreSheet.application_id, ScoreSheet.reviewer_id, ScoreSheet.points)
        .join(Application, Application.id == ScoreSheet.application_id)
        .where(ScoreSheet.round_id == round_id, ScoreSheet.status == "submitted", ~conflicted)
        .where(Application.status == "submitted")
        .order_by(ScoreSheet.application_id, ScoreSheet.reviewer_id),
    )
    criteria = pd.Index([c.id for c in rubric.criteria])
    if not rows:
        empty = pd.DataFrame({"application_id": [], "reviewer_id": [], "criterion_id": [], "points": []})
        none = np.zeros(0, dtype=np.int64)
        return empty, Sheets(none, none, np.zeros((0, len(criteria))))
    app_ids, reviewer_ids, texts = zip(*rows, strict=True)
    matrix = parse_points(list(texts), len(criteria))
    sheet_index, criterion_code = np.nonzero(~np.isnan(matrix))  # row-major: sheet by sheet, criteria in order
    app_position = np.searchsorted(applications["id"].to_numpy(), np.asarray(app_ids))
    reviewers = np.asarray(reviewer_ids)
    distinct = np.unique(reviewers)
    scores = pd.DataFrame(
        {
            "application_id": pd.Categorical.from_codes(
                app_position[sheet_index], categories=pd.Index(applications["reference"])
            ),
            "reviewer_id": pd.Categorical.from_codes(
                np.searchsorted(distinct, reviewers)[sheet_index],
                categories=pd.Index([reviewer_label(int(r)) for r in distinct]),
            ),
            "criterion_id": pd.Categorical.from_codes(criterion_code, categories=criteria),
            "points": matrix[sheet_index, criterion_code],
        }
    )
    return scores, Sheets(np.asarray(app_ids), reviewers, matrix)


def _cache_get(store: Store, key: tuple) -> RoundRanking | None:
    with store.rankings_lock:
        found = store.rankings.get(key)
        if found is not None:
            store.rankings.move_to_end(key)
        return found


def _cache_put(store: Store, key: tuple, ranking: RoundRanking) -> None:
    with store.rankings_lock:
        store.rankings[key] = ranking
        while len(store.rankings) > CACHE_SIZE:
            store.rankings.popitem(last=False)


def compute(store: Store, session: Session, round_: ReviewRound, method: str | None = None) -> RoundRanking:
    """The round's ranking from the snapshot `session` reads, from the cache when it is current."""
    settings = settings_of(round_)
    chosen = method or settings.aggregation
    current = revision(session, round_.id)
    key = (round_.id, current, chosen)
    cached = _cache_get(store, key)
    if cached is not None:
        return cached
    rubric = rubric_of(store, round_)
    with _collector_paused():
        applications = _applications(session, round_.id, rubric)
        scores, sheets = _scores(session, round_.id, rubric, applications)
    engine_input = applications.drop(columns=["id", "title", "organisation_id", "organisation"]).rename(
        columns={"reference": "application_id"}
    )
    evaluation = evaluate(rubric, engine_input, scores, settings.engine_settings(chosen))
    ranking = RoundRanking(
        round_.id,
        round_.name,
        current,
        rubric,
        settings,
        evaluation,
        applications[["id", "reference", "title", "organisation_id", "organisation", "category", "region"]],
        sheets,
    )
    _cache_put(store, key, ranking)
    return ranking


def rank_round(store: Store, actor: Actor, round_id: int, *, method: str | None = None) -> RoundRanking:
    """Admins only, once the review has started; `method` overrides the round's aggregation."""

    def work(session: Session) -> RoundRanking:
        verified_user(session, actor, "admin")
        round_ = load_round(session, round_id)
        require_state(round_, "ranking.view")
        return compute(store, session, round_, method)

    return store.read(actor, "ranking.view", work, target=f"round:{round_id}")


@dataclass(frozen=True, eq=False)
class ApplicantResults:
    """What an applicant sees once a round is published: their own rows and the public list.

    `own`: the organisation's applications with totals, bands, ranks, eligibility reasons, dimension
    and criterion panel scores. `gaps`: self-assessment against panel per criterion (empty when
    the applicant did not self-assess). `public`: the recommended applications as announced in the
    public notice (公示). No reviewer-level score, name or count is included.
    """

    round_id: int
    round_name: str
    rubric: Rubric
    own: pd.DataFrame
    gaps: pd.DataFrame
    public: pd.DataFrame


PUBLIC_COLUMNS = ["rank", "app:organisation", "app:title", "category", "region", "total", "band"]
_PRIVATE_COLUMNS = ["app:id", "app:organisation_id", "disagreement_std", "disagreement_range", "disagreement_flag"]


def applicant_results(store: Store, actor: Actor, round_id: int) -> ApplicantResults:
    """An applicant's results, only after publication, only for their own organisation."""

    def work(session: Session) -> ApplicantResults:
        user = verified_user(session, actor, "applicant")
        round_ = load_round(session, round_id)
        if round_.state == "draft":
            raise AccessDenied()
        require_state(round_, "results.view")
        ranked = compute(store, session, round_)
        table = ranked.table
        own = table[table["app:organisation_id"] == user.organisation_id]
        own_ids = [int(i) for i in own["app:id"]]
        rows = session.execute(
            select(Application.reference, SelfAssessment.points)
            .join(SelfAssessment, SelfAssessment.application_id == Application.id)
            .where(Application.id.in_(own_ids))
        ).all()
        long = [(ref, cid, float(points)) for ref, text in rows for cid, points in json.loads(text).items()]
        gaps = self_gaps(
            ranked.rubric,
            ranked.evaluation,
            pd.DataFrame(long, columns=["application_id", "criterion_id", "points"]),
        )
        public = table.loc[table["recommended"].fillna(False).astype(bool), PUBLIC_COLUMNS].sort_values("rank")
        return ApplicantResults(
            round_id,
            round_.name,
            ranked.rubric,
            own.drop(columns=_PRIVATE_COLUMNS).reset_index(drop=True),
            gaps,
            public.reset_index(drop=True),
        )

    return store.read(actor, "results.view", work, target=f"round:{round_id}")


def engine_inputs(store: Store, session: Session, round_: ReviewRound) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The engine's (applications, scores) for a round, read from `session`'s snapshot as `compute` reads them.

    For analyses that re-run the engine on the same input (every aggregation method side by side,
    sensitivity); the caller checks access. Nothing is cached: the frames hold every score of the round.
    """
    rubric = rubric_of(store, round_)
    with _collector_paused():
        applications = _applications(session, round_.id, rubric)
        scores, _ = _scores(session, round_.id, rubric, applications)
    engine_input = applications.drop(columns=["id", "title", "organisation_id", "organisation"]).rename(
        columns={"reference": "application_id"}
    )
    return engine_input, scores
