"""What a service's name promises (refill, its period, limits), read by the catalog sync
to hold changes that would break it (issue 16, item 4)."""

import pytest

from smmpanel.providers.promises import Promise, broken_promises, promise_of


@pytest.mark.parametrize(
    ("name", "promise"),
    [
        ("Instagram Followers — 60 days refill", Promise(refill=True, refill_days=60)),
        ("Likes [Refill 30D]", Promise(refill=True, refill_days=30)),
        ("Підписники — відновлення 30 днів", Promise(refill=True, refill_days=30)),
        ("Followers Lifetime Refill", Promise(refill=True)),
        ("TikTok Likes 1K-10K", Promise(min_quantity=1000, max_quantity=10000)),
        ("Views max 10K", Promise(max_quantity=10000)),
    ],
)
def test_a_name_promises_what_it_names(name, promise):
    assert promise_of(name) == promise


@pytest.mark.parametrize(
    "name",
    [
        "Instagram Likes — fast, no refill",
        "Likes non-refill",
        "Підписники без відновлення",
        "Views — start 0-1 hour",
        "Likes 5K-10K/day",
        "Instagram Likes",
    ],
)
def test_a_name_naming_no_refill_or_limits_promises_nothing(name):
    assert promise_of(name) == Promise()


def test_a_max_above_the_named_one_breaks_no_promise():
    current = {"min_quantity": 100, "max_quantity": 10000}

    assert broken_promises("Views max 10K", current, {"max_quantity": 50000}) == {}
