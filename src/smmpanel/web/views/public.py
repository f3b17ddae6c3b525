"""Public pages, no sign-in needed: price list, service updates, policies, API docs."""

import json

from django.shortcuts import render
from django.urls import reverse
from django.utils import translation

from smmpanel.api import docs
from smmpanel.billing.selectors import cursor
from smmpanel.catalog import selectors
from smmpanel.configuration.selectors import config
from smmpanel.orders.selectors_habits import average_times, favourite_ids
from smmpanel.policy import selectors as policy_selectors
from smmpanel.policy.refusal_history import INVALID_ORDERS_RULE

UPDATES_PAGE_SIZE = 50


def _by_language(base: str) -> str:
    """``web/public/<base>_uk.html`` for Ukrainian, the English page otherwise."""
    language = (translation.get_language() or "en").lower()
    return f"web/public/{base}_{'uk' if language.startswith('uk') else 'en'}.html"


SORTS = ("price", "-price")


def services(request):
    """The price list: list rates for visitors, a signed-in customer's own prices (with
    the list price beside where it differs), their favourites starred; filters by
    platform, category, refill, cancel, drip-feed, favourites and a search; catalog order
    or by price; each service's average completion time."""
    params = request.GET
    chosen = {
        "platform": params.get("platform", "").strip()[:60],
        "category": params.get("category", "").strip()[:20],
        "q": params.get("q", "").strip()[:100],
        "refill": params.get("refill") == "1",
        "cancel": params.get("cancel") == "1",
        "dripfeed": params.get("dripfeed") == "1",
        "favourites": params.get("favourites") == "1",
        "sort": params.get("sort", "") if params.get("sort", "") in SORTS else "",
    }
    favourites = favourite_ids(request.user)
    rates = selectors.rates_for(request.user)
    rows = selectors.price_list(
        chosen["platform"],
        chosen["category"],
        chosen["q"],
        selectors.Features(chosen["refill"], chosen["cancel"], chosen["dripfeed"]),
        favourites if chosen["favourites"] else None,
    )
    if chosen["sort"]:
        rows = selectors.by_price(rows, rates, descending=chosen["sort"] == "-price")
    platforms, categories = selectors.platforms_and_categories()
    return render(
        request,
        "web/public/services.html",
        {
            "rows": rows,
            "platforms": platforms,
            "categories": categories,
            "chosen": chosen,
            "filtered": any(chosen.values()),
            "rates": rates,
            "favourites": favourites,
            "times": average_times(),
        },
    )


def updates(request):
    page, next_before = selectors.updates_page(
        cursor(request.GET.get("before")), size=UPDATES_PAGE_SIZE
    )
    return render(
        request,
        "web/public/updates.html",
        {"updates": page, "next_before": next_before, "paged": "before" in request.GET},
    )


def aup(request):
    invalid_orders = policy_selectors.thresholds_in_force(INVALID_ORDERS_RULE)
    return render(
        request,
        _by_language("aup"),
        {"invalid_orders": invalid_orders, "contact": config().aup_contact},
    )


def terms(request):
    return render(request, _by_language("terms"), {"contact": config().terms_contact})


def api_docs(request):
    api_url = request.build_absolute_uri(reverse("api:v2"))
    return render(
        request,
        "web/public/api_docs.html",
        {
            "api_url": api_url,
            "actions": docs.shown_actions(api_url),
            "types": docs.type_docs(),
            "errors": docs.ERRORS,
            "error_examples": docs.shown_errors(api_url),
            "rate_limit_answer": json.dumps(docs.rate_limit_answer()),
            "rate_limits": docs.rate_limits(),
            "max_ids": docs.MAX_IDS,
        },
    )
