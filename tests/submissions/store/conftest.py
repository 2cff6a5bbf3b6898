"""Every store test runs twice, on a SQLite file and on PostgreSQL (see `tests.support.store_fixtures`)."""

from tests.support.store_fixtures import *  # noqa: F403 - fixtures are found by name
