"""Turn raw order parameters (API form/JSON/query or web form) into a checked order.

Every refusal is an ``OrderRefused`` with the message API v2 clients know where one
exists (``Quantity less than minimal 50``) and a clear one otherwise.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from smmpanel.catalog.links import BadLink, CanonicalLink, canonicalise, fits_format
from smmpanel.catalog.models import Service
from smmpanel.catalog.selectors import rate_for
from smmpanel.catalog.service_types import QuantityFrom
from smmpanel.money import charge_for
from smmpanel.numbers import whole_number
from smmpanel.orders.errors import OrderRefused

MAX_RUNS = 1000
MAX_ORDER_UNITS = 2_000_000_000  # what one order row can hold (a 32-bit quantity)
MAX_INTERVAL_MINUTES = 60 * 24 * 30
MAX_TEXT = 100_000  # characters of a list parameter (comments, usernames…)
MAX_PARAM = 500  # characters of a single-value parameter


@dataclass(frozen=True)
class CheckedOrder:
    link: str
    canonical: CanonicalLink
    quantity: int
    charge_micros: int
    runs: int | None = None
    interval: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    link_fits: bool = True  # shape fits the service's link format (policy rule decides)

    @property
    def total_quantity(self) -> int:
        return self.quantity * (self.runs or 1)


def check_order(service: Service, data: Mapping[str, object], user=None) -> CheckedOrder:
    """Validate ``data`` for ``service``: parameters of its type, link shape, limits, price.

    The price is what ``user`` pays (their own rate or discount, see
    ``catalog.selectors.rate_for``); without a user, the list rate.
    """
    stype = service.service_type
    params = {name: _text_param(data, name, required=True) for name in stype.required}
    params |= {
        name: value
        for name in stype.optional
        if (value := _text_param(data, name, required=False)) is not None
    }
    raw_link = _text_param(data, "link", required=False) or ""
    link_fits = True
    if stype.needs_link:
        try:
            canonical = canonicalise(raw_link)
        except BadLink as exc:
            raise OrderRefused(str(exc), field="link") from exc
        link_fits = fits_format(canonical, service.link_format_spec)
    else:
        raw_link = params["username"].strip().lstrip("@")
        canonical = _username_target(raw_link, service)

    runs = interval = None
    if stype.quantity_from is QuantityFrom.PARAM:
        quantity = _whole(data.get("quantity"), "quantity", _("Quantity"))
    elif stype.quantity_from is QuantityFrom.LINES:
        lines = [ln.strip() for ln in params[stype.lines_param].splitlines() if ln.strip()]
        if not lines:
            raise OrderRefused(
                _("%(p)s must have at least one line") % {"p": stype.lines_param},
                field=stype.lines_param,
            )
        params[stype.lines_param] = "\n".join(lines)
        quantity = len(lines)
    elif stype.quantity_from is QuantityFrom.SUBSCRIPTION:
        quantity = _subscription_quantity(service, params)
    else:
        quantity = 1

    if stype.quantity_from in (QuantityFrom.PARAM, QuantityFrom.LINES):
        _within_limits(service, quantity)
    if stype.slug == "poll":
        _whole(params["answer_number"], "answer_number", _("Answer number"))

    # Drip-feed splits a quantity into runs; a package or a list is sent once.
    if service.dripfeed and stype.quantity_from is QuantityFrom.PARAM and _present(data, "runs"):
        runs = _whole(data.get("runs"), "runs", _("Runs"))
        interval = _whole(data.get("interval"), "interval", _("Interval"))
        if runs > MAX_RUNS:
            raise OrderRefused(_("Runs must be at most %(n)d") % {"n": MAX_RUNS}, field="runs")
        if interval > MAX_INTERVAL_MINUTES:
            raise OrderRefused(
                _("Interval must be at most %(n)d minutes") % {"n": MAX_INTERVAL_MINUTES},
                field="interval",
            )

    rate = rate_for(user, service)
    if stype.quantity_from is QuantityFrom.PACKAGE:
        charge = rate
    else:
        charge = charge_for(rate, quantity * (runs or 1))
    return CheckedOrder(raw_link, canonical, quantity, charge, runs, interval, params, link_fits)


def _within_limits(service: Service, quantity: int) -> None:
    if quantity < service.min_quantity:
        raise OrderRefused(f"Quantity less than minimal {service.min_quantity}", field="quantity")
    if quantity > service.max_quantity:
        raise OrderRefused(f"Quantity more than maximum {service.max_quantity}", field="quantity")


def _subscription_quantity(service: Service, params: dict[str, str]) -> int:
    low = _whole(params["min"], "min", _("Minimum"))
    high = _whole(params["max"], "max", _("Maximum"))
    posts = _whole(params["posts"], "posts", _("Posts"))
    _within_limits(service, low)
    _within_limits(service, high)
    if low > high:
        raise OrderRefused(_("Minimum must not exceed maximum"), field="min")
    if posts > MAX_RUNS:
        raise OrderRefused(_("Posts must be at most %(n)d") % {"n": MAX_RUNS}, field="posts")
    if "delay" in params:
        _whole(params["delay"], "delay", _("Delay"), allow_zero=True)
    if high * posts > MAX_ORDER_UNITS:
        raise OrderRefused(f"Quantity more than maximum {MAX_ORDER_UNITS}", field="posts")
    return high * posts


def _username_target(username: str, service: Service) -> CanonicalLink:
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise OrderRefused(_("Username is not valid"), field="username")
    host = (service.link_format_spec.hosts or ("",))[0]
    try:
        return canonicalise(f"https://{host}/{username}" if host else f"https://{username}")
    except BadLink as exc:
        raise OrderRefused(_("Username is not valid"), field="username") from exc


def _present(data: Mapping[str, object], name: str) -> bool:
    value = data.get(name)
    return value is not None and str(value).strip() not in ("", "0")


def _text_param(data: Mapping[str, object], name: str, *, required: bool) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise OrderRefused(_("%(p)s is required for this service") % {"p": name}, field=name)
        return None
    if isinstance(value, list):  # JSON clients may send a list of comments
        value = "\n".join(str(v) for v in value)
    if isinstance(value, (dict, bool)) or value != value:  # NaN
        raise OrderRefused(_("%(p)s has the wrong type") % {"p": name}, field=name)
    text = str(value)
    limit = (
        MAX_TEXT
        if name in ("comments", "usernames", "hashtags", "keywords", "groups")
        else MAX_PARAM
    )
    if name == "link":
        limit = 2000
    if len(text) > limit:
        raise OrderRefused(_("%(p)s is too long") % {"p": name}, field=name)
    if "\x00" in text:
        raise OrderRefused(_("%(p)s contains invalid characters") % {"p": name}, field=name)
    return text


def _whole(value: object, name: str, label: str, *, allow_zero: bool = False) -> int:
    """A positive whole number from an int or a digit string; refuse anything else."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and whole_number(value, max_digits=100) is not None:
        number = int(value.strip())
    elif value is None or (isinstance(value, str) and not value.strip()):
        raise OrderRefused(_("%(label)s is required") % {"label": label}, field=name)
    else:
        raise OrderRefused(_("%(label)s must be a whole number") % {"label": label}, field=name)
    if number < 0 or (number == 0 and not allow_zero):
        raise OrderRefused(_("%(label)s must be greater than zero") % {"label": label}, field=name)
    return number
