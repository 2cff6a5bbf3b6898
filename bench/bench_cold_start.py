"""Benchmark the app's cold start in a real browser (a report, not a test).

    PYTHONPATH=. .venv/bin/python bench/bench_cold_start.py [--runs 3]

Starts `streamlit run app.py` as a fresh process on a new data folder, then in Debian's chromium:

1. launch → `/_stcore/health` answers (Python imports, Streamlit start-up);
2. first page load → the sign-in form has rendered (the first script run opens the store and
   checks its schema revision);
3. sign-in → the administrator's landing page has rendered (argon2 verification + the first page).

Each run is a new process on a new folder, so every figure is a cold one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import expect, sync_playwright

from bench.bench_engine import machine_info
from submissions import accounts
from submissions.config import StoreConfig
from submissions.store import Store
from tests.e2e.browser import IDLE, AppServer
from tools.chromium import CHROMIUM, CHROMIUM_ARGS

PASSWORD = "cold-start-benchmark-password"


def one_run(browser, folder: Path) -> dict[str, float]:
    data = folder / "data"
    store = Store(StoreConfig.for_directory(data))
    accounts.bootstrap_admin(store, username="admin", display_name="管理员", password=PASSWORD)
    store.close()
    server = AppServer({"APP_DATA_DIR": str(data), "APP_DATABASE_URL": ""}, folder / "server.log")
    try:
        healthy = server.wait_healthy()
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(server.url)
        page.get_by_label("用户名").wait_for()
        page.wait_for_selector(IDLE)
        first_render = time.perf_counter() - started
        return {"health": healthy, "first_render": first_render, **sign_in_time(page)}
    finally:
        server.stop()


def sign_in_time(page) -> dict[str, float]:
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(PASSWORD)
    started = time.perf_counter()
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("退出登录")).to_be_visible(timeout=60_000)
    page.wait_for_selector(IDLE)
    return {"sign_in_to_landing": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(machine_info())
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as folder:
                results.append(one_run(browser, Path(folder)))
        browser.close()
    for key, label in (
        ("health", "process launch → /_stcore/health ok"),
        ("first_render", "first page load → sign-in form rendered"),
        ("sign_in_to_landing", "sign in → landing page rendered"),
    ):
        values = [r[key] for r in results]
        print(f"{label:45s} median {statistics.median(values):6.2f} s   max {max(values):6.2f} s")


if __name__ == "__main__":
    main()
