"""Benchmark the app server-side with Streamlit's AppTest (a report, not a test).

    PYTHONPATH=. .venv/bin/python bench/bench_app.py [--applications 10000] [--reruns 10]

Builds a round of N applications under review (N × 5 submitted sheets, 50 reviewers, loaded with
the bulk inserts of bench/bench_store.py) in a temporary SQLite store, then measures:

(a) cold start: a fresh Python process imports the app and runs it through AppTest, signed in as
    the administrator, to the first rendered page (the rounds page), then opens the results page,
    whose first run ranks the round from the database;
(b) the results page in this process: its first run (the ranking computed and its frames built),
    then the median and maximum of `--reruns` reruns of the same session, nothing changed; then,
    for each analysis view and for a switch of the aggregation method, the first run and the
    median of a few reruns.

Times are wall-clock seconds of `AppTest.run()`: the page script and the building of every element
it sends, i.e. the server side of a rerun (no browser, no network). Target (issue acceptance):
the results page of a 10,000-application round ≤ 300 ms per rerun after the first.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = "app_pages/admin/results.py"
TARGET_RERUN = 0.300
VIEWS = ("heatmap", "severity", "disagreement", "self")


def signed_in_app(admin_username: str):
    """The whole app as AppTest sees it, with the administrator signed in (as the app tests do)."""
    from sqlalchemy import select
    from streamlit.testing.v1 import AppTest

    from submissions import accounts
    from submissions.models import User
    from ui.session import SignedIn, now
    from ui.store import get_store

    actor = get_store().db.read(
        lambda session: accounts.actor_of(session.scalar(select(User).where(User.username == admin_username)))
    )
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    app.session_state["lang"] = "zh"
    moment = now()
    app.session_state["auth"] = SignedIn(actor, moment, moment)
    return app


def timed_run(app) -> float:
    start = time.perf_counter()
    app.run()
    seconds = time.perf_counter() - start
    if app.exception:
        raise RuntimeError(f"the page failed: {app.exception}")
    return seconds


def cold_child() -> None:
    """Runs in a fresh interpreter: import the app's modules, render the landing page, then the results."""
    start = time.perf_counter()
    interpreter = time.time() - float(os.environ["BENCH_LAUNCHED"])
    from streamlit.testing.v1 import AppTest  # noqa: F401 - the import is part of what is measured

    import app_pages  # noqa: F401
    from ui import navigation  # noqa: F401

    imported = time.perf_counter() - start
    app = signed_in_app(os.environ["BENCH_ADMIN"])
    opened = time.perf_counter() - start - imported
    first_page = timed_run(app)
    title = app.title[0].value if app.title else ""
    app.switch_page(RESULTS)
    results_page = timed_run(app)
    print(
        json.dumps(
            {
                "interpreter": interpreter,
                "imports": imported,
                "store_opened": opened,
                "first_page": first_page,
                "first_title": title,
                "results_first": results_page,
            }
        )
    )


def bench_cold(data_dir: Path, admin: str) -> dict:
    env = {**os.environ, "APP_DATA_DIR": str(data_dir), "BENCH_ADMIN": admin, "PYTHONPATH": str(ROOT)}
    env["BENCH_LAUNCHED"] = repr(time.time())
    env.pop("APP_DATABASE_URL", None)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--cold-child"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - start
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {"process_wall": wall, **figures}


class FullCollections:
    """Counts the interpreter's generation-2 garbage collections (a pause of ~0.1 s with the app loaded)."""

    def __init__(self):
        self.count = 0
        gc.callbacks.append(self._seen)

    def _seen(self, phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            self.count += 1


COLLECTIONS = FullCollections()


def reruns(app, count: int) -> tuple[list[float], int]:
    """`count` reruns' times, and how many full collections fell inside them."""
    before = COLLECTIONS.count
    values = [timed_run(app) for _ in range(count)]
    return values, COLLECTIONS.count - before


def summary(label: str, measured: tuple[list[float], int], target: float | None = None) -> None:
    values, collections = measured
    median, worst = statistics.median(values), max(values)
    verdict = "" if target is None else f"  target ≤ {target * 1000:.0f} ms: {'met' if worst <= target else 'MISSED'}"
    pauses = f", {collections} full GC" if collections else ""
    print(
        f"  {label:<44} median {median * 1000:6.1f} ms  max {worst * 1000:6.1f} ms (n={len(values)}{pauses}){verdict}"
    )


def single(label: str, seconds: float) -> None:
    print(f"  {label:<52} {seconds * 1000:9.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--cold-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cold_child:
        cold_child()
        return 0

    from bench.bench_engine import machine_info
    from bench.bench_store import admin_of, bulk_round, fresh_store

    print(machine_info())
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        store = fresh_store(data_dir, None)
        admin = admin_of(store)
        start = time.perf_counter()
        round_id = bulk_round(store, admin, args.applications)
        loaded = time.perf_counter() - start
        print(f"\nround {round_id}: {args.applications} applications × 5 sheets loaded in {loaded:.1f} s")
        store.close()

        print("\n(a) cold start: a fresh process, AppTest, signed in as the administrator")
        cold = bench_cold(data_dir, admin.username)
        single("launch to results page rendered (wall, whole process)", cold["process_wall"])
        single("interpreter start until the benchmark code runs", cold["interpreter"])
        single("importing Streamlit, AppTest and the app's modules", cold["imports"])
        single("opening the store, finding the administrator", cold["store_opened"])
        single(f"first page rendered ({cold['first_title']})", cold["first_page"])
        single(
            "launch to first page rendered",
            cold["interpreter"] + cold["imports"] + cold["store_opened"] + cold["first_page"],
        )
        single("results page, first run (ranks the round)", cold["results_first"])

        print("\n(b) the results page in this process")
        os.environ["APP_DATA_DIR"] = str(data_dir)
        os.environ.pop("APP_DATABASE_URL", None)
        from ui.store import get_store

        get_store.clear()
        app = signed_in_app(admin.username)
        timed_run(app)  # the landing page: opens the store
        app.switch_page(RESULTS)
        single("first run (ranking computed, frames built)", timed_run(app))
        shown = app.dataframe[0].value
        assert len(shown) == args.applications, f"the ranking table shows {len(shown)} rows"
        summary("rerun, nothing changed", reruns(app, args.reruns), TARGET_RERUN)

        for view in VIEWS:
            app.segmented_control(key="rs_view").set_value(view)
            first = timed_run(app)
            single(f"view {view!r}: first run", first)
            summary(f"view {view!r}: reruns", reruns(app, 3), TARGET_RERUN)
        app.segmented_control(key="rs_view").set_value("bars")

        method_key = f"rs_method_{round_id}"
        base = app.segmented_control(key=method_key).value
        other = "mean" if base != "mean" else "median"
        app.segmented_control(key=method_key).set_value(other)
        single(f"switch to {other!r}: first run (rank + compare methods)", timed_run(app))
        summary(f"method {other!r}: reruns", reruns(app, 3), TARGET_RERUN)
        app.segmented_control(key=method_key).set_value(base)
        single("back to the round's method: first run", timed_run(app))
        summary("round's method again: reruns", reruns(app, 3), TARGET_RERUN)

        app.segmented_control(key="rs_view").set_value("sensitivity")
        timed_run(app)
        app.button(key="rs_sensitivity_run").click()
        single("sensitivity computed (button)", timed_run(app))
        summary("view 'sensitivity': reruns after it", reruns(app, 3), TARGET_RERUN)
        get_store().close()
        get_store.clear()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
