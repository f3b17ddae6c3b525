"""Forms of the customer order pages.

The forms only carry and redisplay what the customer typed: every rule (link shape,
limits, parameters of the service type) is checked by ``orders.order_input.check_order``
inside ``place_order``/``quote_order``, and its refusal is put beside the field it names.
Which fields show is read from the service-type table (``catalog.service_types``).
"""

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from smmpanel.catalog.models import Service
from smmpanel.catalog.service_types import QuantityFrom
from smmpanel.orders.errors import OrderRefused
from smmpanel.orders.services import MASS_ORDER_LINE_SHAPE, MASS_ORDER_MAX_LINES, mass_order_lines

# Parameters typed one item per line (quantity may be the number of lines).
LIST_PARAMS = frozenset({"comments", "usernames", "hashtags", "groups", "keywords"})
NUMBER_PARAMS = frozenset(
    {"quantity", "runs", "interval", "answer_number", "min", "max", "posts", "delay"}
)

LABELS: dict[str, object] = {
    "link": _("Link"),
    "quantity": _("Quantity"),
    "comments": _("Comments, one per line"),
    "usernames": _("Usernames, one per line"),
    "hashtags": _("Hashtags, one per line"),
    "hashtag": _("Hashtag"),
    "username": _("Username"),
    "media": _("Media link"),
    "answer_number": _("Answer number"),
    "groups": _("Groups, one per line"),
    "keywords": _("Keywords, one per line"),
    "min": _("Minimum per post"),
    "max": _("Maximum per post"),
    "posts": _("Number of new posts"),
    "delay": _("Delay in minutes (optional)"),
    "expiry": _("Expiry date (optional, dd/mm/yyyy)"),
    "runs": _("Runs (drip-feed, optional)"),
    "interval": _("Interval between runs, minutes"),
}
# The same parameters as the order page shows them once placed: no input hints.
SHOWN_LABELS: dict[str, object] = LABELS | {
    "comments": _("Comments"),
    "usernames": _("Usernames"),
    "hashtags": _("Hashtags"),
    "groups": _("Groups"),
    "keywords": _("Keywords"),
    "delay": _("Delay, minutes"),
    "expiry": _("Expiry date"),
}


def shown_params(params: Mapping[str, object] | None) -> list[tuple[object, object]]:
    """An order's type parameters as (translated label, value) pairs, in their order."""
    return [(SHOWN_LABELS.get(name, name), value) for name, value in (params or {}).items()]


HELP: dict[str, object] = {
    "answer_number": _("The number of the poll answer to vote for, counting from 1."),
    "username": _("Without the @."),
    "runs": _("Split the order into this many runs of the quantity above."),
    "interval": _("Minutes between runs."),
    "delay": _("Minutes to wait after a new post before starting."),
}


def order_field_names(service: Service) -> list[str]:
    """The inputs the new-order form shows for ``service``, in display order.

    From the service type: the link (unless the type orders by username), the type's own
    parameters, the quantity when the customer chooses it (not for packages, nor for
    list types whose quantity is the number of lines), and runs + interval when the
    service can drip-feed.
    """
    stype = service.service_type
    names = ["link"] if stype.needs_link else []
    names += [p for p in stype.params if p not in names]
    if stype.quantity_from is QuantityFrom.PARAM:
        names.append("quantity")
    if service.dripfeed and stype.quantity_from is not QuantityFrom.PACKAGE:
        names += ["runs", "interval"]
    return names


def _help_for(name: str, service: Service) -> str:
    stype = service.service_type
    if name == "link":
        fmt = service.link_format_spec
        return _("%(label)s, for example %(example)s") % {
            "label": fmt.label,
            "example": fmt.example,
        }
    if name == "quantity":
        return _("From %(min)d to %(max)d.") % {
            "min": service.min_quantity,
            "max": service.max_quantity,
        }
    if name == stype.lines_param:
        return _("The quantity is the number of lines: from %(min)d to %(max)d.") % {
            "min": service.min_quantity,
            "max": service.max_quantity,
        }
    if name in ("min", "max"):
        return _("From %(min)d to %(max)d per post.") % {
            "min": service.min_quantity,
            "max": service.max_quantity,
        }
    return str(HELP.get(name, ""))


class NewOrderForm(forms.Form):
    """The inputs of one order for ``service``; built per service type.

    All fields are optional text here: ``check_order`` decides and words the refusals,
    so the web says exactly what the API and the server say.
    """

    service = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, service: Service, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.service_obj = service
        self.fields["service"].initial = service.pk
        for name in order_field_names(service):
            if name in LIST_PARAMS:
                widget = forms.Textarea(attrs={"rows": 6})
            elif name in NUMBER_PARAMS:
                widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
            elif name == "link":
                widget = forms.TextInput(
                    attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}
                )
            else:
                widget = forms.TextInput(attrs={"autocomplete": "off"})
            help_text = _help_for(name, service)
            described = ([f"id_{name}_helptext"] if help_text else []) + [f"id_{name}_error"]
            widget.attrs["aria-describedby"] = " ".join(described)
            self.fields[name] = forms.CharField(
                label=LABELS.get(name, name),
                help_text=help_text,
                required=False,
                strip=False,
                widget=widget,
            )

    @property
    def entry_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != "service"]

    def order_data(self) -> dict[str, str]:
        """The typed values of the shown order fields, for ``place_order``."""
        return {
            name: self.cleaned_data.get(name) or "" for name in self.fields if name != "service"
        }

    def add_refusal(self, refusal: OrderRefused, language: str) -> None:
        """Put a refusal beside the field it names (or above the form), in ``language``."""
        field = refusal.field if refusal.field in self.fields else None
        self.add_error(field, refusal.text(language))


def live_messages(
    form: NewOrderForm, refusals: tuple[OrderRefused, ...], data: Mapping[str, str], language: str
) -> tuple[dict[str, str], str]:
    """Messages for live validation: ``({field: message}, summary)``.

    A refusal of a field the customer has typed in is shown beside it; one about a field
    still empty (``Quantity is required`` while typing the link) only in the summary,
    so nobody is scolded for what they have not reached yet.
    """
    beside = dict.fromkeys((f.name for f in form.entry_fields), "")
    summary = ""
    for refusal in refusals:
        text = refusal.text(language)
        field = refusal.field
        if field in beside and str(data.get(field, "")).strip():
            beside[field] = beside[field] or text
        elif not summary:
            summary = text
    return beside, summary


class MassOrderForm(forms.Form):
    orders = forms.CharField(
        label=_("Orders, one per line"),
        widget=forms.Textarea(
            attrs={
                "rows": 12,
                "spellcheck": "false",
                "aria-describedby": "id_orders_helptext id_orders_error",
                "placeholder": "1 | https://www.instagram.com/p/C0dExAmPlE/ | 100",
            }
        ),
        max_length=MASS_ORDER_MAX_LINES * 2100,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["orders"].help_text = _("Each line: %(shape)s — at most %(n)d lines.") % {
            "shape": MASS_ORDER_LINE_SHAPE,
            "n": MASS_ORDER_MAX_LINES,
        }

    def clean_orders(self) -> str:
        text = self.cleaned_data["orders"]
        count = len(mass_order_lines(text))
        if count > MASS_ORDER_MAX_LINES:
            raise forms.ValidationError(
                _("At most %(n)d lines per mass order; this has %(count)d.")
                % {"n": MASS_ORDER_MAX_LINES, "count": count}
            )
        return text
