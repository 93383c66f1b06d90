"""Shared test configuration: hypothesis profiles sized for a 2-core machine."""

import os

from hypothesis import HealthCheck, settings

# default: the same 40 examples per test on every run (derandomize), so a run's verdict is the
# code's, not the draw's; thorough: 500 fresh random examples per test, for hunting new cases.
settings.register_profile(
    "default", max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
