"""Staff funds pages: the manual deposits queue (confirm or reject with a note) and
chargebacks. Thin views over ``billing.deposits`` and ``policy.services``."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smmpanel.accounts.models import User
from smmpanel.billing import deposits as deposit_requests
from smmpanel.billing import selectors
from smmpanel.billing.forms import ChargebackForm, DepositNoteForm, DepositRejectForm
from smmpanel.billing.models import DepositRequest
from smmpanel.money import format_amount
from smmpanel.policy import services as policy
from smmpanel.staff.permissions import FUNDS, staff_required


def _back(request, default: str = "staff:deposits"):
    target = request.POST.get("next", "")
    # Only back to a staff page: never an open redirect.
    return redirect(target if target.startswith("/staff/") and "//" not in target else default)


def _errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@staff_required(FUNDS)
def deposits(request):
    return render(
        request,
        "staff/funds/deposits.html",
        {"pending": selectors.pending_deposits(), "decided": selectors.decided_deposits()},
    )


@staff_required(FUNDS)
@require_POST
def deposit_action(request, pk: int, verb: str):
    deposit = get_object_or_404(DepositRequest, pk=pk)
    if verb == "confirm":
        form = DepositNoteForm(request.POST)
    elif verb == "reject":
        form = DepositRejectForm(request.POST)
    else:
        return redirect("staff:deposits")
    if not form.is_valid():
        messages.error(request, _errors(form))
        return _back(request)
    try:
        if verb == "confirm":
            deposit_requests.confirm_deposit(
                deposit, actor=request.user, note=form.cleaned_data["note"]
            )
            done = _("Deposit %(ref)s confirmed: %(amount)s %(currency)s credited to %(email)s.")
        else:
            deposit_requests.reject_deposit(
                deposit, actor=request.user, reason=form.cleaned_data["reason"]
            )
            done = _("Deposit %(ref)s rejected.")
    except deposit_requests.DepositAlreadyDecided:
        deposit.refresh_from_db()
        messages.error(
            request,
            _("Deposit %(ref)s was already %(status)s; nothing was changed.")
            % {"ref": deposit.reference, "status": deposit.get_status_display().lower()},
        )
    except (deposit_requests.NotAllowed, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            done
            % {
                "ref": deposit.reference,
                "amount": format_amount(deposit.amount_micros),
                "currency": deposit.currency,
                "email": deposit.user.email,
            },
        )
    return _back(request)


@staff_required(FUNDS)
def chargeback(request, user_id: int):
    customer = get_object_or_404(User, pk=user_id)
    form = ChargebackForm(request.POST or None, initial={"amount": request.GET.get("amount", "")})
    if request.method == "POST" and form.is_valid():
        policy.record_chargeback(
            customer,
            form.cleaned_data["amount"],
            memo=form.cleaned_data["memo"],
            actor=request.user,
        )
        messages.success(
            request,
            _("Chargeback of %(amount)s recorded for %(email)s.")
            % {"amount": format_amount(form.cleaned_data["amount"]), "email": customer.email},
        )
        return _back(request)
    return render(
        request,
        "staff/funds/chargeback.html",
        {
            "customer": customer,
            "form": form,
            "balance": selectors.balance_of(customer),
            "entries": selectors.ledger_page(customer, size=20).entries,
        },
    )
