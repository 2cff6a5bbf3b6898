"""Settings for the whole suite."""

from __future__ import annotations

from hypothesis import settings

# Property tests check invariants, not speed: a per-example deadline is a timed assertion, and on a
# shared two-core machine it fails at random. Speed is measured by the scripts in bench/.
settings.register_profile("project", deadline=None)
settings.load_profile("project")
