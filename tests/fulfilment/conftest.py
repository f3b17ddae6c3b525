"""The worker's tests run against the provider simulator with the same fixtures as the
providers' tests (``tests/providers/conftest.py``)."""

from tests.providers.conftest import (  # noqa: F401 - pytest finds fixtures by name here
    fast_provider_timeouts,
    likes,
    patient_provider_timeouts,
    provider,
    provider_b,
    sim,
    sim_b,
    sim_clock,
    user,
)
