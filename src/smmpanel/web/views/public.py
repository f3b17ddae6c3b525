"""Public pages, no sign-in needed: price list, service updates, policies, API docs."""

import json

from django.shortcuts import render
from django.urls import reverse
from django.utils import translation

from smmpanel.api import docs
from smmpanel.billing.selectors import cursor
from smmpanel.catalog import selectors
from smmpanel.configuration.selectors import config
from smmpanel.policy import selectors as policy_selectors
from smmpanel.policy.refusal_history import INVALID_ORDERS_RULE

UPDATES_PAGE_SIZE = 50


def _by_language(base: str) -> str:
    """``web/public/<base>_uk.html`` for Ukrainian, the English page otherwise."""
    language = (translation.get_language() or "en").lower()
    return f"web/public/{base}_{'uk' if language.startswith('uk') else 'en'}.html"


def services(request):
    """The price list: list rates for visitors, a signed-in customer's own prices."""
    chosen = {
        "platform": request.GET.get("platform", "").strip()[:60],
        "category": request.GET.get("category", "").strip()[:20],
        "q": request.GET.get("q", "").strip()[:100],
    }
    platforms, categories = selectors.platforms_and_categories()
    return render(
        request,
        "web/public/services.html",
        {
            "rows": selectors.price_list(chosen["platform"], chosen["category"], chosen["q"]),
            "platforms": platforms,
            "categories": categories,
            "chosen": chosen,
            "filtered": any(chosen.values()),
            "rates": selectors.rates_for(request.user),
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
