"""Forms of the staff orders page: the filter and the bulk action. They only read and
check input; reads are ``orders.selectors``, writes ``staff.actions.orders``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from smmpanel.orders.models import OrderStatus
from smmpanel.providers.models import Provider
from smmpanel.staff.actions import orders as order_actions
from smmpanel.staff.selectors.orders import StaffOrderFilter

BULK_CHOICES = [
    (order_actions.BULK_RESEND, _("Resend (failed orders)")),
    (order_actions.BULK_CANCEL, _("Cancel and refund")),
    (order_actions.BULK_PARTIAL, _("Mark partial (value = remains)")),
    (order_actions.BULK_START_COUNT, _("Set start count (value = start count)")),
    (order_actions.BULK_COMPLETE, _("Mark completed (value = start count, optional)")),
]
MAX_VALUE = 2**62


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + OrderStatus.choices
    )
    provider = forms.ModelChoiceField(
        label=_("Provider"), required=False, queryset=Provider.objects.all(), empty_label=_("Any")
    )
    provider_order_id = forms.CharField(label=_("Provider order ID"), required=False, max_length=64)
    service = forms.IntegerField(label=_("Service ID"), required=False, min_value=1)
    order = forms.IntegerField(label=_("Order ID"), required=False, min_value=1)
    user = forms.IntegerField(label=_("User ID"), required=False, min_value=1)
    email = forms.CharField(label=_("Customer email contains"), required=False, max_length=200)
    link = forms.CharField(label=_("Link contains"), required=False, max_length=200)
    date_from = forms.DateField(
        label=_("From (UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def to_filter(self) -> StaffOrderFilter:
        """The filter for ``staff.selectors.orders.staff_orders_page`` (valid fields only)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        provider = data.get("provider")
        return StaffOrderFilter(
            status=data.get("status") or "",
            provider_id=provider.pk if provider else None,
            service_id=data.get("service"),
            user_id=data.get("user"),
            email=data.get("email") or "",
            link=data.get("link") or "",
            order_id=data.get("order"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            provider_order_id=data.get("provider_order_id") or "",
        )


class BulkOrderForm(forms.Form):
    """The selected orders (``order`` checkboxes), the action, the reason and each
    order's value (``value-<id>``); ``cleaned_data["ids"]`` and ``["values"]`` result."""

    action = forms.ChoiceField(label=_("Action"), choices=BULK_CHOICES)
    # Shown on the order page when the action ends the order (cancel, partial).
    reason = forms.CharField(label=_("Reason (shown to the customer)"), max_length=1000)

    def clean(self):
        data = super().clean()
        ids = []
        for raw in self.data.getlist("order") if hasattr(self.data, "getlist") else []:
            text = str(raw).strip()
            if text.isascii() and text.isdigit() and 0 < int(text) < MAX_VALUE:
                ids.append(int(text))
        if not ids:
            raise forms.ValidationError(_("Select at least one order."))
        if len(ids) > order_actions.MAX_BULK_ORDERS:
            raise forms.ValidationError(
                _("At most %(n)d orders at once.") % {"n": order_actions.MAX_BULK_ORDERS}
            )
        values: dict[int, int | None] = {}
        for pk in ids:
            text = str(self.data.get(f"value-{pk}", "")).strip()
            if not text:
                values[pk] = None
            elif text.isascii() and text.isdigit() and int(text) < MAX_VALUE:
                values[pk] = int(text)
            else:
                raise forms.ValidationError(
                    _("Order %(id)d: the value must be a whole number, 0 or more.") % {"id": pk}
                )
        data["ids"], data["values"] = list(dict.fromkeys(ids)), values
        return data


class StartCountForm(forms.Form):
    """Set start count: the number and the reason."""

    start_count = forms.IntegerField(label=_("Start count"), min_value=0, max_value=MAX_VALUE)
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class CompleteForm(forms.Form):
    """Mark completed: the reason, and the start count if staff know it."""

    start_count = forms.IntegerField(
        label=_("Start count (optional)"), required=False, min_value=0, max_value=MAX_VALUE
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000)
