"""Fault cases run on the store fixtures (SQLite and PostgreSQL) and on the demo app."""

from tests.support.app_fixtures import *  # noqa: F403 - fixtures are found by name
from tests.support.store_fixtures import *  # noqa: F403
