"""Runs the hardening suites (tests/security, tests/faults) and prints the README's table.

    python bench/hardening_report.py [--junit PATH]

`--junit` reads a JUnit file written by an earlier run (`pytest -o junit_family=legacy --junitxml=PATH`,
e.g. of the whole suite) instead of running the two suites.

Each test file is one row: cases tried, passed, skipped (with the reason), failed. Tests that
count something record it with pytest's `record_property`: `lost_updates` (faults: concurrent
read-modify-write trials) and `formula_cells` (security: cells in every export that a spreadsheet
would run as a formula and that came from user text); the table sums them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITES = ("tests/security", "tests/faults")
COUNTED = ("lost_updates", "formula_cells")


def run(junit: Path) -> int:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "junit_family=legacy"]
    command += [f"--junitxml={junit}", *SUITES]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def table(junit: Path) -> str:
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counted: dict[str, int] = defaultdict(int)
    measured: dict[str, int] = defaultdict(int)
    skipped_reasons: set[str] = set()
    for case in ET.parse(junit).getroot().iter("testcase"):
        parts = case.get("classname", "").split(".")
        if parts and parts[-1][:1].isupper():  # a test class: its module is the file
            parts = parts[:-1]
        name = "/".join(parts) + ".py"
        if not name.startswith(SUITES):
            continue
        row = rows[name]
        row["tried"] += 1
        if case.find("skipped") is not None:
            row["skipped"] += 1
            skipped_reasons.add(case.find("skipped").get("message", ""))
        elif case.find("failure") is not None or case.find("error") is not None:
            row["failed"] += 1
        else:
            row["passed"] += 1
        for prop in case.iter("property"):
            if prop.get("name") in COUNTED:
                counted[prop.get("name")] += int(prop.get("value", "0"))
                measured[prop.get("name")] += 1
    lines = ["| Suite file | Cases tried | Passed | Skipped | Failed |", "|---|---:|---:|---:|---:|"]
    total: dict[str, int] = defaultdict(int)
    for name in sorted(rows):
        row = rows[name]
        lines.append(f"| `{name}` | {row['tried']} | {row['passed']} | {row['skipped']} | {row['failed']} |")
        for key in ("tried", "passed", "skipped", "failed"):
            total[key] += row[key]
    lines.append(f"| **All** | **{total['tried']}** | **{total['passed']}** | {total['skipped']} | {total['failed']} |")
    lines.append("")
    lines.append(f"- Lost updates: {counted['lost_updates']} (over {measured['lost_updates']} concurrent trials)")
    lines.append(
        f"- Formula cells from user text: {counted['formula_cells']} (over {measured['formula_cells']} exports scanned)"
    )
    for reason in sorted(r for r in skipped_reasons if r):
        lines.append(f"- Skipped: {reason}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--junit", type=Path, help="read this JUnit file instead of running the suites")
    args = parser.parse_args()
    if args.junit:
        print(table(args.junit))
        return 0
    with tempfile.TemporaryDirectory() as directory:
        junit = Path(directory) / "hardening.xml"
        code = run(junit)
        print(table(junit))
    return code


if __name__ == "__main__":
    sys.exit(main())
