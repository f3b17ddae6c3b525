"""Forms of the ticket pages (customer and staff). They check shape only; the rules
(order ownership, duplicates, floods) are the services' and come back as field errors."""

from django import forms
from django.utils.translation import gettext_lazy as _

from smmpanel.support.models import TicketKind, TicketStatus
from smmpanel.support.services import BODY_MAX, TITLE_MAX


class OrderIdsField(forms.Field):
    """Order ids picked from a checkbox list; ownership is checked by ``open_ticket``
    so a foreign and a missing id get the same answer."""

    widget = forms.SelectMultiple

    def to_python(self, value) -> list[str]:
        if not value:
            return []
        if isinstance(value, str):
            value = value.split(",")
        return [str(v).strip() for v in value if str(v).strip()]


class TicketForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Subject"), choices=[("", _("Choose…"))] + list(TicketKind.choices)
    )
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    body = forms.CharField(
        label=_("Message"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 6})
    )
    orders = OrderIdsField(label=_("Orders"), required=False)


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "id": "reply-body"}),
    )


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(TicketStatus.choices)
    )
    assigned = forms.ChoiceField(
        label=_("Assigned"),
        required=False,
        choices=[("", _("Anyone")), ("me", _("Assigned to me")), ("unassigned", _("Unassigned"))],
    )
    search = forms.CharField(label=_("Search"), required=False, max_length=200)


class CannedReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}))
