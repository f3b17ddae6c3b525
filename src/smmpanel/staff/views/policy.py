"""Staff moderation: the queue, one-click actions with a reason, rules, deny lists and
the audit log. Thin views over ``policy.services``, ``staff.actions`` and the selectors."""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smmpanel.accounts.models import ApiKey, User
from smmpanel.orders.errors import InvalidTransition
from smmpanel.orders.models import Order, Refill, RefillStatus
from smmpanel.policy import rulebook, selectors
from smmpanel.policy import services as policy
from smmpanel.policy.engine import rules_for
from smmpanel.policy.models import ApiLimit, BalanceReview, DenyEntry, Restriction, Rule
from smmpanel.policy.rulebook import BY_CODE
from smmpanel.staff import permissions
from smmpanel.staff.actions import orders as staff_actions
from smmpanel.staff.forms.orders import CompleteForm, StartCountForm
from smmpanel.staff.forms.policy import (
    ApiLimitForm,
    DenyEntryForm,
    PartialForm,
    ReasonForm,
    RestrictForm,
    RuleForm,
)
from smmpanel.staff.permissions import MODERATE, ORDERS, USERS, can, staff_required
from smmpanel.staff.selectors import moderation as selectors_moderation
from smmpanel.staff.selectors import orders as order_actions


@staff_required(MODERATE)
def moderation(request):
    queue = selectors_moderation.moderation_queue()
    order_actions.held_order_reasons(queue["review_orders"])
    return render(request, "staff/moderation.html", queue)


def _act(request, form_class, action, success: str):
    """Run ``action(form.cleaned_data)`` for a valid POST; report the result."""
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _("A reason is required.") + " " + form.errors.as_text())
    else:
        try:
            action(form.cleaned_data)
            messages.success(request, success)
        except (InvalidTransition, ValueError) as exc:
            messages.error(request, str(exc))
    return _back(request)


def _back(request):
    target = request.POST.get("next", "")
    # Only back to a staff page: never an open redirect.
    return redirect(target if target.startswith("/staff/") else "staff:moderation")


@staff_required(ORDERS)
@require_POST
def order_action(request, order_id: int, verb: str):
    order = get_object_or_404(Order, pk=order_id)
    actions = {
        "approve": (
            ReasonForm,
            lambda d: staff_actions.approve_order(order, actor=request.user, reason=d["reason"]),
        ),
        "reject": (
            ReasonForm,
            lambda d: staff_actions.reject_order(order, actor=request.user, reason=d["reason"]),
        ),
        "cancel": (
            ReasonForm,
            lambda d: staff_actions.staff_cancel(order, actor=request.user, reason=d["reason"]),
        ),
        "partial": (
            PartialForm,
            lambda d: staff_actions.staff_mark_partial(
                order, d["remains"], actor=request.user, reason=d["reason"]
            ),
        ),
        "resend": (
            ReasonForm,
            lambda d: staff_actions.staff_resend(order, actor=request.user, reason=d["reason"]),
        ),
        "start-count": (
            StartCountForm,
            lambda d: staff_actions.staff_set_start_count(
                order, d["start_count"], actor=request.user, reason=d["reason"]
            ),
        ),
        "complete": (
            CompleteForm,
            lambda d: staff_actions.staff_complete(
                order, actor=request.user, reason=d["reason"], start_count=d["start_count"]
            ),
        ),
        "cancel-upstream": (
            ReasonForm,
            lambda d: staff_actions.staff_cancel_at_provider(
                order, actor=request.user, reason=d["reason"]
            ),
        ),
        "refill-upstream": (
            ReasonForm,
            lambda d: staff_actions.staff_request_refill(
                order, actor=request.user, reason=d["reason"]
            ),
        ),
    }
    if verb not in actions:
        return redirect("staff:moderation")
    if verb in ("approve", "reject") and not can(request.user, MODERATE):
        raise PermissionDenied("your staff role cannot moderate")
    # An action the order's state does not allow is refused with the reason the order
    # page gives for not offering it, before any service runs (nothing is written).
    refusal = order_actions.action_refusal(order, verb)
    if refusal:
        messages.error(request, _("Order %(id)d: %(reason)s") % {"id": order.pk, "reason": refusal})
        return _back(request)
    form_class, action = actions[verb]
    return _act(request, form_class, action, _("Order %(id)s: done.") % {"id": order.pk})


@staff_required(MODERATE)
@require_POST
def user_action(request, user_id: int, verb: str):
    user = get_object_or_404(User, pk=user_id)
    actions = {
        "restrict": (
            RestrictForm,
            lambda d: policy.restrict(
                user, d["level"], reason=d["reason"], actor=request.user, expires_at=d["expires_at"]
            ),
        ),
        "review": (
            ReasonForm,
            lambda d: policy.open_balance_review(user, reason=d["reason"], actor=request.user),
        ),
        "limit-api": (
            ApiLimitForm,
            lambda d: policy.limit_api(
                user, d["per_minute"], reason=d["reason"], actor=request.user, minutes=d["minutes"]
            ),
        ),
    }
    if verb not in actions:
        return redirect("staff:moderation")
    form_class, action = actions[verb]
    return _act(request, form_class, action, _("%(email)s: done.") % {"email": user.email})


@staff_required(ORDERS)
@require_POST
def refill_action(request, refill_id: int, verb: str):
    refill = get_object_or_404(Refill, pk=refill_id)
    if verb not in (RefillStatus.COMPLETED, RefillStatus.REJECTED):
        return redirect("staff:moderation")
    return _act(
        request,
        ReasonForm,
        lambda d: staff_actions.staff_close_refill(
            refill, verb, actor=request.user, reason=d["reason"]
        ),
        _("Refill %(id)s: done.") % {"id": refill.pk},
    )


@staff_required(MODERATE)
@require_POST
def lift(request, kind: str, pk: int):
    if kind == "restriction":
        row = get_object_or_404(Restriction, pk=pk)
        action = lambda d: policy.lift_restriction(row, actor=request.user, reason=d["reason"])  # noqa: E731
    elif kind == "review":
        row = get_object_or_404(BalanceReview, pk=pk)
        action = lambda d: policy.close_balance_review(row, actor=request.user, reason=d["reason"])  # noqa: E731
    elif kind == "api-limit":
        row = get_object_or_404(ApiLimit, pk=pk)
        action = lambda d: policy.lift_api_limit(row, actor=request.user, reason=d["reason"])  # noqa: E731
    elif kind == "api-key":
        if not can(request.user, USERS):
            raise PermissionDenied("your staff role cannot manage users")
        row = get_object_or_404(ApiKey, pk=pk)
        action = lambda d: policy.revoke_exposed_key(row, actor=request.user, reason=d["reason"])  # noqa: E731
    else:
        return redirect("staff:moderation")
    return _act(request, ReasonForm, action, _("Done."))


@staff_required(permissions.RULES)
def rules(request):
    for code in {p for spec in rulebook.RULES for p in spec.points}:
        rules_for(code)  # seed rows of rules never evaluated yet
    rows = [(row, BY_CODE.get(row.code)) for row in Rule.objects.all()]
    return render(request, "staff/rules.html", {"rows": rows})


@staff_required(permissions.RULES)
def rule_edit(request, code: str):
    rule = get_object_or_404(Rule, code=code)
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            reason = data.pop("reason")
            policy.update_rule(rule, actor=request.user, reason=reason, **data)
            messages.success(request, _("Rule %(code)s saved.") % {"code": code})
            return redirect("staff:rules")
    else:
        form = RuleForm(
            initial={
                "enabled": rule.enabled,
                "shadow": rule.shadow,
                "outcome": rule.outcome,
                "thresholds": json.dumps(rule.thresholds or BY_CODE[code].thresholds),
                "message_en": rule.message_en,
                "message_uk": rule.message_uk,
            }
        )
    return render(
        request, "staff/rule_edit.html", {"rule": rule, "spec": BY_CODE.get(code), "form": form}
    )


@staff_required(permissions.RULES)
def deny_list(request):
    form = DenyEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        policy.add_deny_entry(d["kind"], d["value"], actor=request.user, reason=d["reason"])
        messages.success(request, _("Added."))
        return redirect("staff:deny")
    entries = DenyEntry.objects.filter(active=True)
    return render(request, "staff/deny.html", {"form": form, "entries": entries})


@staff_required(permissions.RULES)
@require_POST
def deny_remove(request, pk: int):
    entry = get_object_or_404(DenyEntry, pk=pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        policy.remove_deny_entry(entry, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Removed."))
    else:
        messages.error(request, _("A reason is required."))
    return redirect("staff:deny")


@staff_required(MODERATE)
def audit(request):
    decisions = selectors.search_decisions(
        email=request.GET.get("email", ""),
        rule=request.GET.get("rule", ""),
        point=request.GET.get("point", ""),
        order=request.GET.get("order", ""),
    )
    return render(request, "staff/audit.html", {"decisions": decisions[:200], "q": request.GET})
