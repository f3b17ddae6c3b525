"""Payments: the payments history, receipts, and the gateways' notification endpoints.
Thin views over ``billing.payments`` and ``billing.selectors``."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from smmpanel.billing import payments, selectors
from smmpanel.client_ip import client_ip
from smmpanel.policy import payment_disputes
from smmpanel.policy.rate_limit import take

log = logging.getLogger(__name__)
PAYMENTS_PAGE_SIZE = 50


@login_required
def history(request):
    return render(
        request,
        "web/funds/payments.html",
        {"deposits": selectors.deposits_of(request.user, limit=PAYMENTS_PAGE_SIZE)},
    )


@login_required
def receipt(request, reference: str):
    deposit = selectors.deposit_of(request.user, reference)
    if deposit is None:
        raise Http404
    return render(request, "web/funds/receipt.html", {"d": deposit})


@csrf_exempt
@require_POST
def notification(request, code: str):
    """A gateway's notification: size-limited before the body is read, rate-limited per
    address, signature-checked; the answer tells the gateway whether to retry."""
    peer = client_ip(request)  # None without a peer address (a unix socket)
    address = peer or "unknown"
    if take(
        f"payment-notify:{address}",
        settings.PAYMENT_NOTIFICATIONS_PER_MINUTE,
        settings.PAYMENT_NOTIFICATIONS_PER_MINUTE,
    ):
        return HttpResponse("rate limited\n", status=429, content_type="text/plain")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 <= length <= settings.PAYMENT_NOTIFICATION_MAX_BYTES:
        log.warning(
            "payment notification for %s from %s refused: body of %s bytes",
            code,
            address,
            request.META.get("CONTENT_LENGTH"),
        )
        return HttpResponse("body too large\n", status=413, content_type="text/plain")
    received = payments.receive_notification(code, request.body, request.headers, peer)
    payment_disputes.follow_up(received)
    return HttpResponse(
        f"{received.outcome}\n", status=received.status_code, content_type="text/plain"
    )


def return_url(request, deposit) -> str:
    """Where the gateway sends the customer back: the payment's receipt."""
    return request.build_absolute_uri(reverse("web:receipt", args=[deposit.reference]))


def notify_url(request, code: str) -> str:
    """The notification address of gateway ``code`` (the one given to the gateway)."""
    return request.build_absolute_uri(reverse("web:payment-notification", args=[code]))
