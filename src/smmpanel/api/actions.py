"""The actions of API v2. Each takes the caller and the request parameters and returns
the JSON-ready answer; refusals are ``ApiError`` (answered as ``{"error": …}``)."""

import logging
from collections.abc import Callable, Mapping

from smmpanel.api import representations
from smmpanel.api.service_list import services_answer
from smmpanel.catalog.selectors import orderable_service, rates_for
from smmpanel.database_outage import is_outage
from smmpanel.money import format_amount
from smmpanel.orders import selectors as order_selectors
from smmpanel.orders.errors import OrderRefused
from smmpanel.orders.services import place_order, request_cancel, request_refill

log = logging.getLogger(__name__)

MAX_IDS = 100
INCORRECT_ORDER_ID = "Incorrect order ID"
REFILL_NOT_FOUND = "Refill not found"

Params = Mapping[str, object]


class ApiError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def services(user, params: Params, *, api_key=None) -> bytes:
    """The active services at the caller's own rates (custom rate or discount, if any),
    already encoded (see ``service_list``)."""
    return services_answer(rates_for(user))


def add(user, params: Params, *, api_key=None) -> dict:
    service = orderable_service(params.get("service"))
    if service is None:
        raise ApiError("Incorrect service ID")
    try:
        order = place_order(user, service, params, source="api", api_key=api_key)
    except OrderRefused as exc:
        raise ApiError(_with_rule(exc)) from None
    return {"order": order.pk}


def status(user, params: Params, *, api_key=None) -> dict:
    if _given(params, "orders"):
        ids = _ids(params["orders"])
        found = order_selectors.orders_by_id(user, ids)
        return {
            text: representations.order_status(found[text])
            if text in found
            else {"error": INCORRECT_ORDER_ID}
            for text in ids
        }
    if not _given(params, "order"):
        raise ApiError(INCORRECT_ORDER_ID)
    text = str(params["order"]).strip()
    found = order_selectors.orders_by_id(user, [text])
    if text not in found:
        raise ApiError(INCORRECT_ORDER_ID)
    return representations.order_status(found[text])


def refill(user, params: Params, *, api_key=None) -> dict | list:
    if _given(params, "orders"):
        return [
            {
                "order": representations.id_value(text),
                "refill": _try(lambda t=text: request_refill(user, t).pk),
            }
            for text in _ids(params["orders"])
        ]
    if not _given(params, "order"):
        raise ApiError(INCORRECT_ORDER_ID)
    try:
        return {"refill": str(request_refill(user, params["order"]).pk)}
    except OrderRefused as exc:
        raise ApiError(_with_rule(exc)) from None


def refill_status(user, params: Params, *, api_key=None) -> dict | list:
    if _given(params, "refills"):
        ids = _ids(params["refills"])
        found = order_selectors.refills_by_id(user, ids)
        return [
            {
                "refill": representations.id_value(text),
                "status": representations.refill_status(found[text])
                if text in found
                else {"error": REFILL_NOT_FOUND},
            }
            for text in ids
        ]
    if not _given(params, "refill"):
        raise ApiError(REFILL_NOT_FOUND)
    text = str(params["refill"]).strip()
    found = order_selectors.refills_by_id(user, [text])
    if text not in found:
        raise ApiError(REFILL_NOT_FOUND)
    return {"status": representations.refill_status(found[text])}


def cancel(user, params: Params, *, api_key=None) -> list:
    key = "orders" if _given(params, "orders") else "order"
    if not _given(params, key):
        raise ApiError(INCORRECT_ORDER_ID)
    return [
        {
            "order": representations.id_value(text),
            "cancel": _try(lambda t=text: request_cancel(user, t).pk and 1),
        }
        for text in _ids(params[key])
    ]


def balance(user, params: Params, *, api_key=None) -> dict:
    # The wallet was read with the API key, in this request's first query.
    wallet = user.wallet
    return {"balance": format_amount(wallet.balance_micros), "currency": wallet.currency}


ACTIONS: dict[str, Callable[..., object]] = {
    "services": services,
    "add": add,
    "status": status,
    "refill": refill,
    "refill_status": refill_status,
    "cancel": cancel,
    "balance": balance,
}


def _with_rule(refusal: OrderRefused) -> str:
    """A policy refusal names its rule, so the user knows which rule stopped them; the
    classic API v2 texts stay exactly as clients match them."""
    return (
        f"{refusal.message} (rule {refusal.rule})"
        if refusal.rule and refusal.rule not in ("order.duplicate",)
        else refusal.message
    )


def _given(params: Params, name: str) -> bool:
    value = params.get(name)
    return value is not None and str(value).strip() != ""


def _ids(raw: object) -> list[str]:
    if isinstance(raw, list):
        raw = ",".join(str(v) for v in raw)
    ids = order_selectors.parse_ids(raw, MAX_IDS)
    if ids is None:
        raise ApiError(f"Too many ids: at most {MAX_IDS} per request")
    return ids


def _try(call: Callable[[], object]) -> object:
    try:
        return call()
    except OrderRefused as exc:
        return {"error": _with_rule(exc)}
    except Exception as exc:  # one id's failure must not turn the whole list into an error
        if is_outage(exc):
            raise  # the database is away for every id: the request says so (views.api_v2)
        log.exception("api v2: one id of a list request failed")
        return {"error": "Internal error, please try again"}
