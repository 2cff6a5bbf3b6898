"""App tests run on a private copy of the demo database (see `tests.support.app_fixtures`)."""

from tests.support.app_fixtures import *  # noqa: F403 - fixtures are found by name
