"""The Excel tests' builders live in tests/support/workbooks.py, shared with the store tests."""

from tests.support.workbooks import REGIONS, VALID_CODES, fill, rewrite, valid_row, workbook_bytes

__all__ = ["REGIONS", "VALID_CODES", "fill", "rewrite", "valid_row", "workbook_bytes"]
