"""Benchmark the scoring engine against a plain pandas-groupby baseline (a report, not a test).

    PYTHONPATH=. .venv/bin/python bench/bench_engine.py [--sizes 1000 10000 100000] [--repeat 3]

For each N a synthetic round (N applications x 5 reviewers x the rubric's judged criteria, long
format, categorical id columns) is generated once. The engine (`evaluate` with the trimmed mean of
reviewer-normalised scores: validate -> rank incl. disagreement) is timed best of `--repeat` runs
after one warm-up; the baseline (bench/baseline_groupby.py) once or twice. Peak extra memory of one
engine run is measured with tracemalloc (numpy and pandas hash tables report to it) and given as a
multiple of the input scores frame's deep memory usage. Both implementations must rank alike:
if ranks (or totals) differ the first differing rows are printed and the exit status is 1.
Missed performance targets are reported but do not change the exit status.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import hashlib
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from bench.baseline_groupby import rank_applications
from rubrics import load_rubric
from rubrics.schema import Rubric
from scoring.evaluate import evaluate
from scoring.settings import Settings
from scoring.synthetic import round_data

REVIEWERS_PER_APPLICATION = 5
TARGET_CRITERIA = 20
MB = 1024.0**2


def pick_rubric(rubric_id: str | None) -> tuple[Rubric, int]:
    """The named rubric, else the 20-criterion benchmark rubric.

    The default is `city_comprehensive` (the shipped rubric with the most criteria, 20) with its
    formula criteria made judged, so every sheet has the target's 20 reviewer-scored criteria.
    """
    rubric = load_rubric(rubric_id) if rubric_id is not None else all_judged(load_rubric("city_comprehensive"))
    return rubric, _n_judged(rubric)


def all_judged(rubric: Rubric) -> Rubric:
    """The rubric with every formula criterion turned into a judged one (same points and step)."""
    document = rubric.model_dump(mode="json")
    for dimension in document["dimensions"]:
        for criterion in dimension["criteria"]:
            if criterion["method"] == "formula":
                criterion["method"] = "judged"
                criterion["formula"] = None
                criterion["step"] = criterion["step"] or "0.5"
    if document.get("bonus"):
        for criterion in document["bonus"]["items"]:
            if criterion["method"] == "formula":
                criterion["method"] = "judged"
                criterion["formula"] = None
                criterion["step"] = criterion["step"] or "0.5"
    document["id"] = f"{rubric.id}_all_judged"
    return Rubric.model_validate(document)


def _n_judged(rubric: Rubric) -> int:
    return sum(c.method == "judged" for c in rubric.criteria)


def best_time(run: Callable[[], object], repeat: int, warm_up: bool) -> float:
    if warm_up:
        run()
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def peak_memory(run: Callable[[], object]) -> int:
    """Peak bytes allocated above the starting point during one call (result included)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak - base


def compare(engine_table: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Rows (by application id) where rank or total differ; empty when both agree."""
    left = engine_table[["application_id", "total", "rank"]].assign(
        application_id=lambda f: f.application_id.astype(str)
    )
    merged = left.merge(baseline, on="application_id", how="outer", suffixes=("_engine", "_baseline"), indicator=True)
    rank_e, rank_b = merged["rank_engine"], merged["rank_baseline"]
    rank_differs = (rank_e.isna() != rank_b.isna()) | (rank_e.fillna(-1) != rank_b.fillna(-1))
    total_e, total_b = merged["total_engine"], merged["total_baseline"]
    total_differs = (total_e.isna() != total_b.isna()) | (total_e.fillna(-1) != total_b.fillna(-1))
    differs = rank_differs.to_numpy(dtype=bool) | total_differs.to_numpy(dtype=bool)
    differs |= (merged["_merge"] != "both").to_numpy()
    return merged.loc[differs]


def machine_info() -> str:
    return (
        f"machine: {platform.machine()} {platform.system()} {platform.release()}, "
        f"cores (os.cpu_count()): {os.cpu_count()}, python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}"
    )


def engine_version() -> str:
    """A digest of the engine's sources, so a report names the code it measured (files change)."""
    files = sorted((Path(__file__).resolve().parents[1] / "scoring").glob("*.py"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    newest = max(path.stat().st_mtime for path in files)
    stamp = datetime.datetime.fromtimestamp(newest, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"engine: scoring/*.py sha256 {digest.hexdigest()[:12]} (newest file modified {stamp})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="numbers of applications")
    parser.add_argument("--repeat", type=int, default=3, help="engine runs timed (best of) after one warm-up")
    parser.add_argument(
        "--baseline-repeat",
        type=int,
        default=None,
        help="baseline runs (best of); default 2 up to N=10000, else 1",
    )
    parser.add_argument("--rubric", default=None, help="rubric id (default: the one with most judged criteria)")
    args = parser.parse_args(argv)

    rubric, n_judged = pick_rubric(args.rubric)
    settings = Settings.from_rubric(rubric.settings, method="trimmed", normalise=True)
    print(machine_info())
    print(engine_version())
    print(
        f"rubric: {rubric.id} — {len(rubric.criteria)} criteria, {n_judged} judged (scored by reviewers); "
        f"target spec is N x {REVIEWERS_PER_APPLICATION} reviewers x {TARGET_CRITERIA} criteria, "
        f"so rows here are N x {REVIEWERS_PER_APPLICATION} x {n_judged}"
    )
    if n_judged < TARGET_CRITERIA:
        print(
            f"note: no shipped rubric has {TARGET_CRITERIA} judged criteria; {n_judged}/{TARGET_CRITERIA} = "
            f"{n_judged / TARGET_CRITERIA:.0%} of the target row count"
        )
    print(
        f"settings: method={settings.method} normalise={settings.normalise} "
        f"trim_min_reviewers={settings.trim_min_reviewers} tie_break={list(settings.tie_break)}"
    )
    print()

    results = []
    mismatch = False
    for n in args.sizes:
        n_reviewers = max(50, n // 200)
        applications, scores = round_data(
            rubric, n, REVIEWERS_PER_APPLICATION, n_reviewers=n_reviewers, seed=0, categorical=True
        )
        input_bytes = int(scores.memory_usage(deep=True).sum())

        def engine(applications=applications, scores=scores):
            return evaluate(rubric, applications, scores, settings)

        def baseline(applications=applications, scores=scores):
            return rank_applications(rubric, applications, scores, settings)

        engine_s = best_time(engine, args.repeat, warm_up=True)
        baseline_runs = args.baseline_repeat or (2 if n <= 10000 else 1)
        baseline_s = best_time(baseline, baseline_runs, warm_up=False)
        peak = peak_memory(engine)

        differing = compare(engine().table, baseline())
        equal = differing.empty
        if not equal:
            mismatch = True
            print(f"N={n}: engine and baseline disagree on {len(differing)} application(s); first rows:")
            print(differing.head(10).to_string(index=False))
            print()
        results.append(
            {
                "N": n,
                "rows": len(scores),
                "reviewers": n_reviewers,
                "engine_s": engine_s,
                "baseline_s": baseline_s,
                "ratio": baseline_s / engine_s,
                "peak_mb": peak / MB,
                "input_mb": input_bytes / MB,
                "peak_over_input": peak / input_bytes,
                "ranks_equal": equal,
            }
        )
        print(
            f"N={n}: engine {engine_s:.4f} s, baseline {baseline_s:.3f} s, peak {peak / MB:.1f} MB "
            f"(input {input_bytes / MB:.1f} MB), ranks equal: {equal}",
            flush=True,
        )

    print()
    header = (
        f"{'N':>8} {'rows':>10} {'engine s':>9} {'baseline s':>10} {'ratio':>7} "
        f"{'peak MB':>8} {'input MB':>8} {'peak/input':>10} {'ranks equal':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['N']:>8} {r['rows']:>10} {r['engine_s']:>9.4f} {r['baseline_s']:>10.3f} {r['ratio']:>6.1f}x "
            f"{r['peak_mb']:>8.1f} {r['input_mb']:>8.1f} {r['peak_over_input']:>9.2f}x "
            f"{r['ranks_equal']!s:>11}"
        )

    print()
    print("targets:")
    by_n = {r["N"]: r for r in results}

    def report(label: str, value: str, met: bool) -> None:
        print(f"  {label:<44} {value:<28} {'met' if met else 'NOT met'}")

    if 100000 in by_n:
        r = by_n[100000]
        report("N=100k engine <= 0.5 s", f"{r['engine_s']:.3f} s", r["engine_s"] <= 0.5)
        report("N=100k engine >= 8x faster than baseline", f"{r['ratio']:.1f}x", r["ratio"] >= 8)
    else:
        print("  N=100k targets: not measured (add 100000 to --sizes)")
    if 10000 in by_n:
        r = by_n[10000]
        report("N=10k engine <= 50 ms", f"{r['engine_s'] * 1000:.1f} ms", r["engine_s"] <= 0.05)
    else:
        print("  N=10k target: not measured (add 10000 to --sizes)")
    for r in results:
        report(
            f"N={r['N']} peak extra memory <= 3x input",
            f"{r['peak_over_input']:.2f}x",
            r["peak_over_input"] <= 3,
        )
    if mismatch:
        print("\nRANKS DIFFER between engine and baseline (see rows above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
