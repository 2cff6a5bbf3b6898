"""An export that fails midway never offers a partial file, and is not logged as a successful export.

The ranking workbook writer is made to fail partway: the disk full while the third sheet is written
(OSError), memory exhausted after the workbook was built but before the reviewer detail is spliced
in (MemoryError), a bad value in the middle of the CSV rows (ValueError). The service raises, returns
nothing and writes no "export.ranking" entry; the same export works once the fault is gone. On the
results page no download button is offered and the administrator sees the app's message for an
unexpected failure (with its incident number) rather than a traceback.
"""

from __future__ import annotations

import errno
import re

import pytest

from submissions import audit, exports
from submissions.excel import ranking as ranking_writer
from tests.app.admin_ops.conftest import open_on_round, round_ids
from tests.submissions.store.scenario import round_under_review, score_everything
from tests.support.app_fixtures import unescaped
from ui.messages import translator

RESULTS = "app_pages/admin/results.py"


def _fail_on_third_sheet(monkeypatch) -> None:
    sheet = ranking_writer._Writer.sheet
    written = []

    def failing(self, title, *args, **kwargs):
        written.append(title)
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return sheet(self, title, *args, **kwargs)

    monkeypatch.setattr(ranking_writer._Writer, "sheet", failing)


def _fail_before_splicing(monkeypatch) -> None:
    def failing(data, **kwargs):
        assert data.startswith(b"PK")  # the workbook is built, the reviewer detail not yet in it
        raise MemoryError

    monkeypatch.setattr(ranking_writer, "_splice_rows", failing)


def _fail_in_the_middle_of_the_rows(monkeypatch) -> None:
    csv_bytes = ranking_writer.csv_bytes

    def failing(rows, headers):
        def three_rows_then_a_fault():
            for n, row in enumerate(rows):
                if n == 3:
                    raise ValueError("a value that cannot be written")
                yield row
            raise AssertionError("the ranking has fewer than four rows")

        return csv_bytes(three_rows_then_a_fault(), headers)

    monkeypatch.setattr(ranking_writer, "csv_bytes", failing)


FAULTS = {
    "xlsx-disk-full-on-the-third-sheet": ("xlsx", OSError, _fail_on_third_sheet),
    "xlsx-out-of-memory-before-the-detail": ("xlsx", MemoryError, _fail_before_splicing),
    "csv-bad-value-midway": ("csv", ValueError, _fail_in_the_middle_of_the_rows),
}


def _exports_logged(store, round_id: int) -> list[dict]:
    return [
        e.after
        for e in store.db.read(lambda s: audit.entries(s, round_id=round_id, action="export.ranking"))
        if e.outcome == "ok"
    ]


@pytest.mark.parametrize("backend", ["sqlite"])  # the writer fails the same way whatever the database
@pytest.mark.parametrize("fault", list(FAULTS))
def test_an_export_failing_midway_raises_returns_nothing_and_is_not_logged(store, world, monkeypatch, fault):
    kind, error, inject = FAULTS[fault]
    round_, _ = round_under_review(store, world, per_applicant=2, per_application=2)
    score_everything(store, world, round_.id)
    returned = []

    with monkeypatch.context() as patch:
        inject(patch)
        with pytest.raises(error):
            returned.append(exports.ranking_export(store, world.admin, round_.id, kind=kind))

    assert returned == []
    assert _exports_logged(store, round_.id) == []
    data = exports.ranking_export(store, world.admin, round_.id, kind=kind)  # the fault gone, the export works
    assert data.startswith(b"PK" if kind == "xlsx" else b"\xef\xbb\xbf")
    assert [(e["kind"], e["bytes"]) for e in _exports_logged(store, round_.id)] == [(kind, len(data))]


@pytest.mark.parametrize(("fault", "lang"), list(zip(FAULTS, ["zh", "en", "zh"], strict=True)))
def test_an_export_failing_midway_on_the_results_page_shows_an_error_and_offers_no_download(
    pages, monkeypatch, fault, lang
):
    monkeypatch.delenv("APP_DEBUG")  # as deployed: the app turns an unexpected failure into a message
    kind, _, inject = FAULTS[fault]
    round_id = round_ids(pages)["project_life"]
    app = open_on_round(pages, RESULTS, "project_life", lang=lang)
    logged_before = len(_exports_logged(pages.store, round_id))
    inject(monkeypatch)

    app = app.button(key=f"rs_prepare_{kind}").click().run()

    assert not app.get("download_button"), "a download was offered for a failed export"
    assert len(_exports_logged(pages.store, round_id)) == logged_before
    assert not app.exception, f"the page failed with a traceback: {app.exception[0].message}"
    (shown,) = [unescaped(e.value) for e in app.error]
    incident = re.search(r"[0-9a-f]{8}", shown).group()
    assert shown == translator(lang)("unexpected_error", incident=incident)
