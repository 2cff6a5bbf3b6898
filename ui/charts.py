"""Altair charts of the review results, built from the chart-ready frames of `submissions.results`.

Each builder takes a small frame (never a row per application of a large round) and the labels to
show, already in the session's language, and returns a chart for `st.altair_chart`. No figure is
computed here beyond what Vega-Lite draws; colours are fixed per band so a band looks the same on
every chart.

Altair validates each channel object against the Vega-Lite schema when it is built, and the whole
spec again when Streamlit serialises the chart. The first pass costs tens of milliseconds per chart
on every rerun and catches nothing the second does not, so it is switched off for the process
(`disable_debug_mode`); `st.altair_chart` still validates every spec before sending it.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd
from altair.utils.schemapi import disable_debug_mode

RECOMMENDED_COLOURS = ("#2E7D32", "#66BB6A", "#A5D6A7", "#1B5E20")
OTHER_COLOURS = ("#F9A825", "#FB8C00", "#9E9E9E", "#8D6E63", "#FFD54F")
SPECIAL_COLOURS = {"ineligible": "#E53935", "unscored": "#BDBDBD"}
HARSH, LENIENT = "#C62828", "#1565C0"
FLAGGED, CALM = "#E53935", "#90A4AE"
BAR_STEP = 22  # pixels per bar: a chart of discrete rows grows with its rows
OFFSET_STEP = 9  # pixels per range within a row of the rank-range chart

disable_debug_mode()


def band_scale(legend: pd.DataFrame) -> alt.Scale:
    """Band label -> colour: greens for recommended bands, warm tones for the rest, red for ineligible."""
    recommended, other, colours = iter(RECOMMENDED_COLOURS), iter(OTHER_COLOURS), []
    for band_id, is_recommended in zip(legend["band_id"], legend["recommended"], strict=True):
        if band_id in SPECIAL_COLOURS:
            colours.append(SPECIAL_COLOURS[band_id])
        else:
            colours.append(next(recommended if is_recommended else other, "#757575"))
    return alt.Scale(domain=list(legend["band"]), range=colours)


def ranked_bars(
    frame: pd.DataFrame, legend: pd.DataFrame, *, cut_total: float | None, labels: Mapping[str, str]
) -> alt.LayerChart:
    """Horizontal bars of totals in ranking order, coloured by band; a rule marks the quota line.

    `frame`: `results.ranked_bars` (position, rank_category, reference, title, total, band,
    within_quota). `labels`: total, application, band, rank, title, line.
    """
    y = alt.Y("reference:N", sort=alt.SortField("position"), title=labels["application"])
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("total:Q", title=labels["total"]),
            y=y,
            color=alt.Color("band:N", scale=band_scale(legend), title=labels["band"]),
            opacity=alt.Opacity(
                "within_quota:N", scale=alt.Scale(domain=[True, False], range=[1.0, 0.55]), legend=None
            ),
            tooltip=[
                alt.Tooltip("rank_category:Q", title=labels["rank"]),
                alt.Tooltip("reference:N", title=labels["application"]),
                alt.Tooltip("title:N", title=labels["title"]),
                alt.Tooltip("total:Q", title=labels["total"], format=".2f"),
                alt.Tooltip("band:N", title=labels["band"]),
            ],
        )
    )
    layers: list[alt.Chart] = [bars]
    if cut_total is not None:
        line = pd.DataFrame({"total": [cut_total], "label": [labels["line"]]})
        rule = alt.Chart(line).mark_rule(color="#212121", strokeDash=[6, 3], size=2).encode(x=alt.X("total:Q"))
        text = (
            alt.Chart(line)
            .mark_text(align="left", dx=4, dy=-6, baseline="bottom", color="#212121")
            .encode(x=alt.X("total:Q"), y=alt.YValue(0), text=alt.Text("label:N"))
        )
        layers += [rule, text]
    return alt.layer(*layers).properties(height=alt.Step(BAR_STEP))


def criterion_heatmap(frame: pd.DataFrame, *, labels: Mapping[str, str]) -> alt.Chart:
    """Criterion (rows) × band (columns) cells shaded by the mean share of the criterion's maximum.

    `frame`: `results.criterion_heatmap`. `labels`: band, criterion, share, applications.
    """
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("band:N", sort=alt.SortField("band_order"), title=labels["band"], axis=alt.Axis(labelAngle=0)),
            y=alt.Y("criterion:N", sort=alt.SortField("criterion_order"), title=labels["criterion"]),
            color=alt.Color("share:Q", scale=alt.Scale(domain=[0, 1], scheme="greens"), title=labels["share"]),
            tooltip=[
                alt.Tooltip("band:N", title=labels["band"]),
                alt.Tooltip("criterion:N", title=labels["criterion"]),
                alt.Tooltip("share:Q", title=labels["share"], format=".0%"),
                alt.Tooltip("applications:Q", title=labels["applications"]),
            ],
        )
        .properties(height=alt.Step(BAR_STEP))
    )


def severity_bars(frame: pd.DataFrame, *, labels: Mapping[str, str]) -> alt.Chart:
    """Each reviewer's mean deviation from their co-reviewers: harsh (negative) red, lenient blue.

    `frame`: `results.severity_rows`. `labels`: reviewer, severity, sheets, mean_total.
    """
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("severity_points:Q", title=labels["severity"]),
            y=alt.Y("reviewer:N", sort=None, title=labels["reviewer"]),
            color=alt.Color(
                "severity_points:Q", scale=alt.Scale(domainMid=0, range=[HARSH, "#EEEEEE", LENIENT]), legend=None
            ),
            tooltip=[
                alt.Tooltip("reviewer:N", title=labels["reviewer"]),
                alt.Tooltip("severity_points:Q", title=labels["severity"], format="+.2f"),
                alt.Tooltip("sheets:Q", title=labels["sheets"]),
                alt.Tooltip("mean_total:Q", title=labels["mean_total"], format=".2f"),
            ],
        )
        .properties(height=alt.Step(BAR_STEP))
    )


def disagreement_histogram(frame: pd.DataFrame, *, labels: Mapping[str, str]) -> alt.Chart:
    """Binned panel disagreement, flagged applications stacked in red.

    `frame`: `results.disagreement_bins` (low, high, flagged, applications). `labels`: spread,
    applications, flagged, calm, group.
    """
    shown = frame.assign(group=frame["flagged"].map({True: labels["flagged"], False: labels["calm"]}))
    return (
        alt.Chart(shown)
        .mark_bar()
        .encode(
            x=alt.X("low:Q", bin="binned", title=labels["spread"]),
            x2=alt.X2("high:Q"),
            y=alt.Y(
                "applications:Q", stack=True, title=labels["applications"], axis=alt.Axis(tickMinStep=1, format="d")
            ),
            color=alt.Color(
                "group:N",
                scale=alt.Scale(domain=[labels["calm"], labels["flagged"]], range=[CALM, FLAGGED]),
                title=labels["group"],
            ),
            tooltip=[
                alt.Tooltip("low:Q", format=".2f", title=labels["spread"]),
                alt.Tooltip("high:Q", format=".2f"),
                alt.Tooltip("applications:Q", title=labels["applications"]),
            ],
        )
        .properties(height=220)
    )


def self_panel_scatter(frame: pd.DataFrame, *, maximum: float, labels: Mapping[str, str]) -> alt.LayerChart:
    """Self-assessed total against the panel's over the same criteria; above the diagonal = claimed more.

    `frame`: `results.self_panel_rows`. `labels`: self, panel, application, title, gap, overclaim,
    fair, group.
    """
    shown = frame.assign(group=frame["overclaim"].map({True: labels["overclaim"], False: labels["fair"]}))
    diagonal = pd.DataFrame({"panel": [0.0, maximum], "self": [0.0, maximum]})
    line = (
        alt.Chart(diagonal).mark_line(color="#9E9E9E", strokeDash=[4, 4]).encode(x=alt.X("panel:Q"), y=alt.Y("self:Q"))
    )
    points = (
        alt.Chart(shown)
        .mark_circle(size=70, opacity=0.85)
        .encode(
            x=alt.X("panel:Q", title=labels["panel"]),
            y=alt.Y("self:Q", title=labels["self"]),
            color=alt.Color(
                "group:N",
                scale=alt.Scale(domain=[labels["fair"], labels["overclaim"]], range=[LENIENT, HARSH]),
                title=labels["group"],
            ),
            tooltip=[
                alt.Tooltip("reference:N", title=labels["application"]),
                alt.Tooltip("title:N", title=labels["title"]),
                alt.Tooltip("self:Q", title=labels["self"], format=".2f"),
                alt.Tooltip("panel:Q", title=labels["panel"], format=".2f"),
                alt.Tooltip("gap:Q", title=labels["gap"], format="+.2f"),
            ],
        )
    )
    return alt.layer(line, points).properties(height=360)


def rank_ranges(frame: pd.DataFrame, *, kinds: Mapping[str, str], labels: Mapping[str, str]) -> alt.LayerChart:
    """Per application, the range of category ranks under each kind of change, and its rank as a dot.

    `frame`: `results.rank_ranges`. `kinds`: kind id -> label. `labels`: rank, application, kind.
    """
    shown = frame.assign(kind_label=frame["kind"].map(kinds))
    y = alt.Y("reference:N", sort=alt.SortField("position"), title=labels["application"])
    ranges = (
        alt.Chart(shown)
        .mark_rule(size=5, strokeCap="round")  # a round cap keeps a range of one rank visible as a dot
        .encode(
            x=alt.X(
                "low:Q",
                scale=alt.Scale(reverse=True),
                title=labels["rank"],
                axis=alt.Axis(tickMinStep=1, format="d"),
            ),
            x2=alt.X2("high:Q"),
            y=y,
            yOffset=alt.YOffset("kind_label:N"),
            color=alt.Color("kind_label:N", title=labels["kind"]),
            tooltip=[
                alt.Tooltip("reference:N", title=labels["application"]),
                alt.Tooltip("kind_label:N", title=labels["kind"]),
                alt.Tooltip("low:Q", title="min"),
                alt.Tooltip("high:Q", title="max"),
            ],
        )
    )
    dots = (
        alt.Chart(shown.drop_duplicates("reference"))
        .mark_point(color="#212121", filled=True, size=40)
        .encode(x=alt.X("rank:Q", scale=alt.Scale(reverse=True)), y=y)
    )
    return alt.layer(ranges, dots).properties(height=alt.Step(OFFSET_STEP))


def stacked_counts(
    frame: pd.DataFrame, *, category: str, value: str, series: str, names: Mapping[str, str], labels: Mapping[str, str]
) -> alt.Chart:
    """Horizontal stacked bars of counts per `category` (e.g. sheets per reviewer by status).

    `names`: series id -> label, in stacking order. `labels`: category, value, series.
    """
    shown = frame.assign(series_label=frame[series].map(names), series_order=frame[series].map(list(names).index))
    return (
        alt.Chart(shown)
        .mark_bar()
        .encode(
            x=alt.X(f"{value}:Q", title=labels["value"], axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y(f"{category}:N", sort=None, title=labels["category"]),
            color=alt.Color("series_label:N", sort=list(names.values()), title=labels["series"]),
            order=alt.Order("series_order:Q"),
            tooltip=[
                alt.Tooltip(f"{category}:N", title=labels["category"]),
                alt.Tooltip("series_label:N", title=labels["series"]),
                alt.Tooltip(f"{value}:Q", title=labels["value"]),
            ],
        )
        .properties(height=alt.Step(BAR_STEP))
    )
