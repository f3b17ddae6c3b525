"""Staff users pages: search, one user's account (balance, ledger, orders, restrictions,
API keys, own prices) with actions that each need a reason, and a read-only "view as".

Thin views: reads from the apps' selectors, writes through ``policy.services`` and
``staff.actions`` (each one audited with the staff member as actor). Capabilities:
``USERS`` to see users, restrict them and revoke keys; ``FUNDS`` to move money;
``FUNDS`` or ``MODERATE`` for balance reviews; ``PRICES`` for a customer's own rates.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smmpanel.accounts.models import ApiKey, User
from smmpanel.accounts.selectors import api_keys_of, search_users
from smmpanel.accounts.staff_rank import refusal_to_act_on
from smmpanel.billing import selectors as billing
from smmpanel.catalog.models import CustomRate
from smmpanel.catalog.selectors import custom_rates_of
from smmpanel.money import format_amount
from smmpanel.orders import selectors as orders
from smmpanel.orders.errors import InvalidTransition
from smmpanel.policy import selectors as policy_selectors
from smmpanel.policy import services as policy
from smmpanel.policy.models import ApiLimit, BalanceReview, Restriction
from smmpanel.staff.actions import catalog as price_actions
from smmpanel.staff.actions import money as money_actions
from smmpanel.staff.forms.policy import ApiLimitForm, ReasonForm, RestrictForm
from smmpanel.staff.forms.users import AdjustForm, CustomRateForm, UserSearchForm
from smmpanel.staff.permissions import FUNDS, MODERATE, PRICES, USERS, can, staff_required

PAGE_SIZE = 50
LEDGER_PAGE = 25


def _need(request, *capabilities: str) -> None:
    """403 unless the staff member has one of ``capabilities``."""
    if not any(can(request.user, c) for c in capabilities):
        raise PermissionDenied(f"your staff role cannot {' or '.join(capabilities)}")


def _errors(form) -> str:
    """The form's errors in one line, each after its field's label."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts += [f"{label}: {e}" if label else str(e) for e in errors]
    return " ".join(parts)


def _to_user_page(customer: User):
    return redirect("staff:user", user_id=customer.pk)


@staff_required(USERS)
def users(request):
    form = UserSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    before = billing.cursor(request.GET.get("before"))
    page = search_users(query, before, PAGE_SIZE)
    return render(
        request, "staff/users/list.html", {"form": form, "q": query, "page": page, "before": before}
    )


@staff_required(USERS)
def user_detail(request, user_id: int):
    customer = get_object_or_404(User.objects.select_related("wallet"), pk=user_id)
    before = billing.cursor(request.GET.get("before"))
    # Actions are offered only where this staff member may act on the account at all.
    refusal = refusal_to_act_on(request.user, customer)
    may_act = not refusal
    context = {
        "customer": customer,
        "balance": billing.balance_of(customer),
        "ledger": billing.ledger_page(customer, before, LEDGER_PAGE),
        "before": before,
        "summary": orders.order_summary(customer),
        "notices": policy_selectors.notices_for(customer),
        "keys": api_keys_of(customer),
        "rates": custom_rates_of(customer),
        "refusal": refusal,
        "may_act": may_act,
        "can_funds": may_act and can(request.user, FUNDS),
        "can_review": may_act and (can(request.user, FUNDS) or can(request.user, MODERATE)),
        "can_prices": may_act and can(request.user, PRICES),
        "can_moderate": can(request.user, MODERATE),
        "adjust_form": AdjustForm(auto_id="adjust-%s"),
        "restrict_form": RestrictForm(
            auto_id="restrict-%s", field_order=["level", "expires_at", "reason"]
        ),
        "limit_form": ApiLimitForm(
            auto_id="limit-%s", field_order=["per_minute", "minutes", "reason"]
        ),
        "review_form": ReasonForm(auto_id="review-%s"),
        "rate_form": CustomRateForm(auto_id="rate-%s"),
    }
    return render(request, "staff/users/detail.html", context)


def _act(request, customer: User, form, action, success: str):
    """Run ``action(cleaned_data)`` for a valid form; report the outcome on the user page."""
    if not form.is_valid():
        messages.error(request, _errors(form))
        return _to_user_page(customer)
    try:
        action(form.cleaned_data)
    except (InvalidTransition, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return _to_user_page(customer)


@staff_required(USERS)
@require_POST
def user_do(request, user_id: int, verb: str):
    """One action on the account, named by ``verb``, with its form and a reason."""
    customer = get_object_or_404(User, pk=user_id)
    actor = request.user
    if verb == "adjust":
        _need(request, FUNDS)
        form = AdjustForm(request.POST)

        def action(d):
            money_actions.staff_adjust_balance(
                customer, d["micros"], actor=actor, reason=d["reason"]
            )

        done = _("Balance of %(email)s adjusted.") % {"email": customer.email}
        if form.is_valid():
            done = _("Balance of %(email)s adjusted by %(amount)s.") % {
                "email": customer.email,
                "amount": format_amount(form.cleaned_data["micros"]),
            }
    elif verb == "restrict":
        form = RestrictForm(request.POST)

        def action(d):
            policy.restrict(
                customer, d["level"], reason=d["reason"], actor=actor, expires_at=d["expires_at"]
            )

        done = _("%(email)s restricted.") % {"email": customer.email}
    elif verb == "limit-api":
        form = ApiLimitForm(request.POST)

        def action(d):
            policy.limit_api(
                customer, d["per_minute"], reason=d["reason"], actor=actor, minutes=d["minutes"]
            )

        done = _("API of %(email)s limited.") % {"email": customer.email}
    elif verb == "review":
        _need(request, FUNDS, MODERATE)
        form = ReasonForm(request.POST)

        def action(d):
            policy.open_balance_review(customer, reason=d["reason"], actor=actor)

        done = _("Balance review opened for %(email)s.") % {"email": customer.email}
    elif verb == "rate":
        _need(request, PRICES)
        form = CustomRateForm(request.POST)

        def action(d):
            price_actions.staff_set_custom_rate(
                customer,
                d["service"],
                actor=actor,
                reason=d["reason"],
                rate_micros=d["rate_micros"],
                discount_bp=d["discount_bp"],
            )

        done = _("Own price of %(email)s saved.") % {"email": customer.email}
    else:
        return _to_user_page(customer)
    return _act(request, customer, form, action, done)


@staff_required(USERS)
@require_POST
def user_lift(request, user_id: int, kind: str, pk: int):
    """End something on the account early: a restriction, an API limit, a balance review,
    an API key (revoked as exposed) or an own price. Always with a reason."""
    customer = get_object_or_404(User, pk=user_id)
    actor = request.user
    if kind == "restriction":
        row = get_object_or_404(Restriction, pk=pk, user=customer)

        def action(d):
            policy.lift_restriction(row, actor=actor, reason=d["reason"])

    elif kind == "api-limit":
        row = get_object_or_404(ApiLimit, pk=pk, user=customer)

        def action(d):
            policy.lift_api_limit(row, actor=actor, reason=d["reason"])

    elif kind == "review":
        _need(request, FUNDS, MODERATE)
        row = get_object_or_404(BalanceReview, pk=pk, user=customer)

        def action(d):
            policy.close_balance_review(row, actor=actor, reason=d["reason"])

    elif kind == "api-key":
        row = get_object_or_404(ApiKey, pk=pk, user=customer)

        def action(d):
            policy.revoke_exposed_key(row, actor=actor, reason=d["reason"])

    elif kind == "rate":
        _need(request, PRICES)
        row = get_object_or_404(CustomRate, pk=pk, user=customer)

        def action(d):
            price_actions.staff_remove_custom_rate(row, actor=actor, reason=d["reason"])

    else:
        return _to_user_page(customer)
    return _act(request, customer, ReasonForm(request.POST), action, _("Done."))


@staff_required(USERS)
def view_as(request, user_id: int):
    """What the customer sees (balance, notices, orders), read-only: no session switch,
    no login as them, no forms; the staff member stays themselves."""
    customer = get_object_or_404(User.objects.select_related("wallet"), pk=user_id)
    before = orders.parse_before(request.GET.get("before"))
    page = orders.orders_page(customer, before=before, limit=PAGE_SIZE)
    return render(
        request,
        "staff/users/view_as.html",
        {
            "customer": customer,
            "balance": billing.balance_of(customer),
            "notices": policy_selectors.notices_for(customer),
            "page": page,
            "before": before,
            "user_url": reverse("staff:user", args=[customer.pk]),
        },
    )
