"""Results: a round's ranking per category with bands and the quota line, how ranks move with the
aggregation method, the panel analyses as charts, and the ranking downloads.

Every frame comes from `submissions.results`, memoised on the store's cached ranking, so a rerun
costs a revision check and the rendering; charts get the top of the list, never every row.
"""

from __future__ import annotations

import math

import streamlit as st

from scoring import METHODS
from submissions import accounts, exports, privacy, ranking, results
from ui import charts
from ui.feedback import reported
from ui.session import lang, require_role, t
from ui.store import get_store
from ui.text import escaped
from ui.widgets import round_picker

actor = require_role("results", "admin")

VIEWS = ("bars", "heatmap", "severity", "disagreement", "self", "sensitivity")
SELF_POINTS = 300
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


def method_label(method: str) -> str:
    return t(f"rs_method_{method}")


def number(value: object, pattern: str = "{:.2f}") -> str:
    """A figure for a metric; missing or undefined values show as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return pattern.format(value)


def show_ranking_table(rows, rubric, language: str) -> None:
    dimensions = {f"dim:{d.id}": d.label.get(language) for d in rubric.dimensions if f"dim:{d.id}" in rows.columns}
    score = "%.2f"
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_order=[
            "rank_category",
            "rank",
            "reference",
            "title",
            "organisation",
            "region",
            "band",
            "recommended",
            "within_quota",
            "total",
            "main_total",
            "bonus",
            *dimensions,
            "eligible",
            "reasons",
            "disagreement_flag",
        ],
        column_config={
            "rank_category": st.column_config.NumberColumn(t("rs_col_rank_category"), format="%d"),
            "rank": st.column_config.NumberColumn(t("rs_col_rank"), format="%d"),
            "reference": t("rs_col_reference"),
            "title": st.column_config.TextColumn(t("rs_col_title"), width="medium"),
            "organisation": t("rs_col_organisation"),
            "region": t("rs_col_region"),
            "band": t("col_band"),
            "recommended": st.column_config.CheckboxColumn(t("col_recommended")),
            "within_quota": st.column_config.CheckboxColumn(t("rs_col_within_quota")),
            "total": st.column_config.NumberColumn(t("rs_col_total"), format=score),
            "main_total": st.column_config.NumberColumn(t("rs_col_main_total"), format=score),
            "bonus": st.column_config.NumberColumn(t("rs_col_bonus"), format=score),
            **{key: st.column_config.NumberColumn(label, format=score) for key, label in dimensions.items()},
            "eligible": st.column_config.CheckboxColumn(t("rs_col_eligible")),
            "reasons": t("rs_col_reasons"),
            "disagreement_flag": st.column_config.CheckboxColumn(t("rs_col_disagreement_flag")),
        },
        key="rs_ranking_table",
    )


def show_line(line: results.QuotaLine, rows_count: int, sheets: int) -> None:
    cells = st.columns(5)
    cells[0].metric(t("rs_metric_applications"), rows_count)
    cells[1].metric(t("rs_metric_sheets"), sheets)
    cells[2].metric(t("rs_metric_candidates"), line.candidates)
    cells[3].metric(t("rs_metric_selected"), line.selected if line.quota is None else f"{line.selected} / {line.quota}")
    cells[4].metric(t("rs_metric_cut_total"), number(line.cut_total))
    if line.selected:
        st.caption(t("rs_line_caption", rank=line.last_rank, total=number(line.cut_total)))
    elif line.threshold is not None:
        st.caption(t("rs_line_none", threshold=number(line.threshold, "{:g}")))


def show_cut_lines(ranked, language: str) -> None:
    lines = results.cut_lines_of(ranked, language)
    if lines.empty:
        return
    with st.expander(t("rs_cut_lines", count=len(lines))):
        st.dataframe(
            lines,
            hide_index=True,
            width="stretch",
            column_config={
                "kind": t("rs_col_quota_kind"),
                "group": t("rs_col_quota_group"),
                "quota": t("rs_col_quota"),
                "candidates": t("rs_metric_candidates"),
                "selected": t("rs_metric_selected"),
                "cut_total": st.column_config.NumberColumn(t("rs_metric_cut_total"), format="%.2f"),
                "over_quota_by_ties": st.column_config.CheckboxColumn(t("rs_col_over_by_ties")),
            },
            key="rs_cut_lines_table",
        )


def show_moves(round_id: int, ranked, category: str, language: str, base: str, chosen: str) -> None:
    st.subheader(t("rs_moves_heading", method=method_label(chosen), base=method_label(base)))
    with st.spinner(t("rs_comparing")), reported() as outcome:
        comparison = results.method_comparison(get_store(), actor, round_id)
    if not outcome.ok:
        return
    moves = results.moves_of(ranked, comparison, category, language, base)
    summary = results.move_summary(moves)
    cells = st.columns(4)
    cells[0].metric(t("rs_moves_up"), summary.up)
    cells[1].metric(t("rs_moves_down"), summary.down)
    cells[2].metric(t("rs_moves_same"), summary.same)
    cells[3].metric(t("rs_moves_largest"), summary.largest)
    st.caption(t("rs_moves_caption"))
    st.dataframe(
        moves,
        hide_index=True,
        width="stretch",
        column_config={
            "reference": t("rs_col_reference"),
            "title": st.column_config.TextColumn(t("rs_col_title"), width="medium"),
            "rank_base": st.column_config.NumberColumn(t("rs_col_rank_base", method=method_label(base)), format="%d"),
            "rank_chosen": st.column_config.NumberColumn(
                t("rs_col_rank_base", method=method_label(chosen)), format="%d"
            ),
            "move": st.column_config.NumberColumn(t("rs_col_move"), format="%+d"),
            "total_base": st.column_config.NumberColumn(t("rs_col_total_by", method=method_label(base)), format="%.2f"),
            "total_chosen": st.column_config.NumberColumn(
                t("rs_col_total_by", method=method_label(chosen)), format="%.2f"
            ),
        },
        key="rs_moves_table",
    )


def show_bars(ranked, category: str, line: results.QuotaLine, rows_count: int, language: str) -> None:
    frame = results.bars_of(ranked, category, language)
    if frame.empty:
        st.info(t("rs_nothing_ranked"))
        return
    chart = charts.ranked_bars(
        frame,
        results.band_legend(ranked.rubric, language),
        cut_total=line.cut_total,
        labels={
            "total": t("rs_col_total"),
            "application": t("rs_col_reference"),
            "band": t("col_band"),
            "rank": t("rs_col_rank_category"),
            "title": t("rs_col_title"),
            "line": t("rs_chart_line"),
        },
    )
    st.altair_chart(chart, width="stretch")
    if len(frame) < rows_count:
        st.caption(t("rs_bars_caption", shown=len(frame), total=rows_count))


def show_heatmap(ranked, category: str, language: str) -> None:
    frame = results.heatmap_of(ranked, category, language)
    if frame.empty:
        st.info(t("rs_nothing_scored"))
        return
    labels = {
        "band": t("col_band"),
        "criterion": t("col_criterion"),
        "share": t("rs_chart_share"),
        "applications": t("rs_metric_applications"),
    }
    st.altair_chart(charts.criterion_heatmap(frame, labels=labels), width="stretch")
    st.caption(t("rs_heatmap_caption"))


def show_severity(ranked) -> None:
    names = {u.id: u.display_name for u in accounts.list_users(get_store(), actor, role="reviewer")}
    frame = results.severity_rows(ranked.evaluation.reviewers, names)
    if frame.empty:
        st.info(t("rs_nothing_scored"))
        return
    labels = {
        "reviewer": t("rs_col_reviewer"),
        "severity": t("rs_col_severity"),
        "sheets": t("rs_col_sheets"),
        "mean_total": t("rs_col_mean_total"),
    }
    st.altair_chart(charts.severity_bars(frame, labels=labels), width="stretch")
    st.caption(t("rs_severity_caption"))
    stats = results.reliability_of(ranked)
    cells = st.columns(4)
    cells[0].metric(t("rs_reliability_design"), t(f"rs_design_{stats['design']}"))
    cells[1].metric("ICC(1)", number(stats.get("ICC1"), "{:.3f}"))
    cells[2].metric("ICC(1,k)", number(stats.get("ICC1k"), "{:.3f}"))
    cells[3].metric("Kendall W", number(stats.get("kendall_w"), "{:.3f}"))
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_order=["reviewer", "sheets", "mean_total", "severity_points", "severity_fraction"],
        column_config={
            "reviewer": labels["reviewer"],
            "sheets": labels["sheets"],
            "mean_total": st.column_config.NumberColumn(labels["mean_total"], format="%.2f"),
            "severity_points": st.column_config.NumberColumn(labels["severity"], format="%+.2f"),
            "severity_fraction": st.column_config.NumberColumn(t("rs_col_severity_share"), format="percent"),
        },
        key="rs_severity_table",
    )


def show_disagreement(ranked, category: str) -> None:
    bins, flagged = results.disagreement_of(ranked, category)
    if bins.empty:
        st.info(t("rs_nothing_scored"))
        return
    labels = {
        "spread": t("rs_col_disagreement_std"),
        "applications": t("rs_metric_applications"),
        "flagged": t("rs_chart_flagged"),
        "calm": t("rs_chart_calm"),
        "group": t("rs_col_disagreement_flag"),
    }
    st.altair_chart(charts.disagreement_histogram(bins, labels=labels), width="stretch")
    if flagged.empty:
        st.success(t("rs_no_flags"))
        return
    st.warning(t("rs_flags", count=len(flagged)))
    st.dataframe(
        flagged,
        hide_index=True,
        width="stretch",
        column_config={
            "rank_category": st.column_config.NumberColumn(t("rs_col_rank_category"), format="%d"),
            "reference": t("rs_col_reference"),
            "title": t("rs_col_title"),
            "total": st.column_config.NumberColumn(t("rs_col_total"), format="%.2f"),
            "disagreement_std": st.column_config.NumberColumn(t("rs_col_disagreement_std"), format="%.2f"),
            "disagreement_range": st.column_config.NumberColumn(t("rs_col_disagreement_range"), format="%.2f"),
        },
        key="rs_flagged_table",
    )


def show_self(round_id: int, ranked, method: str, category: str, language: str) -> None:
    with st.spinner(t("rs_comparing")), reported() as outcome:
        summary = results.self_vs_panel(get_store(), actor, round_id, method=method)
    if not outcome.ok:
        return
    frame = results.self_panel_of(ranked, summary, category, language)
    if frame.empty:
        st.info(t("rs_no_self"))
        return
    labels = {
        "self": t("rs_col_self"),
        "panel": t("rs_col_panel"),
        "application": t("rs_col_reference"),
        "title": t("rs_col_title"),
        "gap": t("rs_col_gap"),
        "overclaim": t("rs_chart_overclaim"),
        "fair": t("rs_chart_fair"),
        "group": t("rs_col_overclaim"),
    }
    chart = charts.self_panel_scatter(frame.head(SELF_POINTS), maximum=float(ranked.rubric.total_points), labels=labels)
    st.altair_chart(chart, width="stretch")
    st.caption(t("rs_self_caption", shown=min(len(frame), SELF_POINTS), total=len(frame)))
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_order=["rank_category", "reference", "title", "band", "self", "panel", "gap", "overclaim"],
        column_config={
            "rank_category": st.column_config.NumberColumn(t("rs_col_rank_category"), format="%d"),
            "reference": labels["application"],
            "title": labels["title"],
            "band": t("col_band"),
            "self": st.column_config.NumberColumn(labels["self"], format="%.2f"),
            "panel": st.column_config.NumberColumn(labels["panel"], format="%.2f"),
            "gap": st.column_config.NumberColumn(labels["gap"], format="%+.2f"),
            "overclaim": st.column_config.CheckboxColumn(labels["group"]),
        },
        key="rs_self_table",
    )


def show_sensitivity(round_id: int, ranked, method: str, category: str, language: str) -> None:
    asked = f"rs_sensitivity_{round_id}_{method}"
    st.caption(t("rs_sensitivity_intro", draws=results.SENSITIVITY_DRAWS))
    if st.button(t("rs_sensitivity_run"), key="rs_sensitivity_run", icon=":material/tune:"):
        st.session_state[asked] = True
    if not st.session_state.get(asked):
        return
    with st.spinner(t("rs_sensitivity_running")), reported() as outcome:
        sens = results.round_sensitivity(get_store(), actor, round_id, method=method)
    if not outcome.ok:
        return
    table, ranges = results.sensitivity_of(ranked, sens, category, language)
    kinds = {kind: t(f"rs_kind_{kind}") for kind in ("weights", "method", "reviewer")}
    if not ranges.empty:
        labels = {"rank": t("rs_col_rank_category"), "application": t("rs_col_reference"), "kind": t("rs_col_kind")}
        st.altair_chart(charts.rank_ranges(ranges, kinds=kinds, labels=labels), width="stretch")
    crossing = results.lines_crossed(table)
    (st.warning if crossing else st.success)(t("rs_crossing", count=crossing))
    config = {
        "reference": t("rs_col_reference"),
        "title": t("rs_col_title"),
        "rank_category": st.column_config.NumberColumn(t("rs_col_rank_category"), format="%d"),
        "rank": st.column_config.NumberColumn(t("rs_col_rank_total"), format="%d"),
        "in_line_share": st.column_config.NumberColumn(t("rs_col_in_line_share"), format="percent"),
        "crosses_line": st.column_config.CheckboxColumn(t("rs_col_crosses_line")),
    }
    for kind, label in kinds.items():
        config[f"{kind}_rank_min"] = st.column_config.NumberColumn(f"{label} · min", format="%d")
        config[f"{kind}_rank_max"] = st.column_config.NumberColumn(f"{label} · max", format="%d")
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, key="rs_sensitivity_table")


def show_downloads(round_id: int, method: str, language: str) -> None:
    st.subheader(t("rs_downloads"))
    st.caption(t("rs_downloads_caption", method=method_label(method)))
    index = 0 if language == "zh" else 1
    profile = st.radio(
        t("pv_export_profile"),
        privacy.EXPORT_PROFILES,
        format_func=lambda p: privacy.PROFILE_LABELS[p][index],
        key="pv_export_profile",
        horizontal=True,
        help=t("pv_export_profile_help"),
    )
    purpose = ""
    if profile == "full":
        purpose = st.text_input(t("pv_export_purpose"), max_chars=privacy.PURPOSE_MAX, key="pv_export_purpose")
    for kind, cell in zip(("xlsx", "csv"), st.columns(2), strict=True):
        with cell:
            if not st.button(t(f"rs_prepare_{kind}"), key=f"rs_prepare_{kind}", icon=":material/draft:"):
                continue
            with st.spinner(t("rs_preparing")), reported() as outcome:
                data = exports.ranking_export(
                    get_store(),
                    actor,
                    round_id,
                    lang=language,
                    method=method,
                    kind=kind,
                    profile=profile,
                    purpose=purpose,
                )
            if outcome.ok:
                st.download_button(
                    t(f"rs_download_{kind}"),
                    data,
                    file_name=f"ranking-round{round_id}-{method}-{language}.{kind}",
                    mime=MIME[kind],
                    key=f"rs_download_{kind}",
                    on_click="ignore",
                    type="primary",
                    icon=":material/download:",
                )


st.title(t("nav_results"))
language = lang()
round_ = round_picker(actor, states=results.RANKED_STATES, key="rs_results")
if round_ is None:
    st.stop()
if round_.state == "under_review":
    st.info(t("rs_provisional"))

base = round_.settings.aggregation
# Option labels are worked out during the run: a format function is also called outside it.
method_labels = {m: method_label(m) + (t("rs_method_round") if m == base else "") for m in METHODS}
method = st.segmented_control(
    t("rs_method"),
    list(METHODS),
    default=base,
    required=True,
    format_func=method_labels.get,
    key=f"rs_method_{round_.id}",
)
with st.spinner(t("rs_ranking_spinner")), reported() as ranked_outcome:
    ranked = ranking.rank_round(get_store(), actor, round_.id, method=method)
if not ranked_outcome.ok:
    st.stop()

categories = {c.id: c.label.get(language) for c in ranked.rubric.categories}
category = st.selectbox(t("rs_category"), list(categories), format_func=categories.get, key=f"rs_cat_{round_.id}")
rows = results.rows_of(ranked, category, language)
line = results.line_of(ranked, category)

st.subheader(t("rs_ranking_heading", category=escaped(categories[category])))
show_line(line, len(rows), ranked.sheets)
show_ranking_table(rows, ranked.rubric, language)
show_cut_lines(ranked, language)

if method != base:
    show_moves(round_.id, ranked, category, language, base, method)

st.subheader(t("rs_analysis"))
view_labels = {v: t(f"rs_view_{v}") for v in VIEWS}
view = st.segmented_control(
    t("rs_view"), VIEWS, default="bars", required=True, format_func=view_labels.get, key="rs_view"
)
if view == "bars":
    show_bars(ranked, category, line, len(rows), language)
elif view == "heatmap":
    show_heatmap(ranked, category, language)
elif view == "severity":
    show_severity(ranked)
elif view == "disagreement":
    show_disagreement(ranked, category)
elif view == "self":
    show_self(round_.id, ranked, method, category, language)
else:
    show_sensitivity(round_.id, ranked, method, category, language)

show_downloads(round_.id, method, language)
