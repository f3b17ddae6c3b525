"""The API v2 actions of the simulated provider, in the de-facto shapes.

Each action takes the state, the catalog and the request parameters and returns the
JSON-ready answer (``services`` returns ready-encoded bytes); a refusal is a
``SimError`` that the WSGI app answers as ``{"error": …}``.
"""

from collections.abc import Callable, Mapping

from smmpanel.providers.simulator.catalog import (
    LINES_PARAM,
    PACKAGE_TYPES,
    REQUIRED_PARAMS,
    Catalog,
    SimService,
)
from smmpanel.providers.simulator.records import SimError, format_money
from smmpanel.providers.simulator.state import SimulatorState

MAX_IDS = 100
MAX_RUNS = 1000
MAX_TEXT = 100_000
INCORRECT_ORDER_ID = "Incorrect order ID"
REFILL_NOT_FOUND = "Refill not found"

Params = Mapping[str, object]
Action = Callable[[SimulatorState, Catalog, Params], object]


def services(state: SimulatorState, catalog: Catalog, params: Params) -> bytes:
    """Every service, encoded once at start-up."""
    return catalog.services_json


def add(state: SimulatorState, catalog: Catalog, params: Params) -> dict:
    """Place an order: ``{"order": <int>}``."""
    service = catalog.get(params.get("service"))
    if service is None:
        raise SimError("Incorrect service ID")
    slug = service.type_slug
    extra = {name: _text(params, name, required=True) for name in REQUIRED_PARAMS.get(slug, ())}
    if slug == "subscriptions":
        # Subscriptions watch a profile for new posts: no link, max per post × posts.
        link = extra["username"].strip().lstrip("@")
        low, high = _whole(extra["min"], "min"), _whole(extra["max"], "max")
        posts = _whole(extra["posts"], "posts")
        for value in (low, high):
            _within_limits(service, value)
        if low > high or posts > MAX_RUNS:
            raise SimError("Incorrect request")
        quantity = high * posts
    else:
        link = _text(params, "link", required=True).strip()
        if lines_param := LINES_PARAM.get(slug):
            quantity = len([ln for ln in extra[lines_param].splitlines() if ln.strip()])
            _within_limits(service, quantity)
        elif slug in PACKAGE_TYPES:
            quantity = 1
        else:
            # A missing or zero quantity is "less than minimal", as providers answer it.
            raw = params.get("quantity")
            quantity = _whole(raw, "quantity") if _present(params, "quantity") else 0
            _within_limits(service, quantity)
    if slug == "poll":
        _whole(extra["answer_number"], "answer_number")

    runs, interval = 1, 0
    if _present(params, "runs"):
        if not service.dripfeed:
            raise SimError("Drip-feed is disabled for this service")
        runs = _whole(params.get("runs"), "runs")
        interval = _whole(params.get("interval"), "interval")
        if runs > MAX_RUNS:
            raise SimError(f"Runs more than maximum {MAX_RUNS}")

    # Keep whatever else the client sent (country, device, delay, expiry…): tests may
    # want to see that the panel forwarded a type's parameters.
    kept = {
        k: _shown(v)
        for k, v in params.items()
        if k not in ("key", "action", "service", "link", "quantity", "runs", "interval")
    }
    order_id = state.place_order(service, link, quantity, runs, interval, kept)
    return {"order": order_id}


def status(state: SimulatorState, catalog: Catalog, params: Params) -> dict:
    """One order's status, or many keyed by the id as sent (``orders=1,2,3``)."""
    if _present(params, "orders"):
        ids = _ids(params["orders"])
        return {
            text: answer if answer is not None else {"error": INCORRECT_ORDER_ID}
            for text, answer in zip(ids, state.statuses(ids), strict=True)
        }
    if not _present(params, "order"):
        raise SimError(INCORRECT_ORDER_ID)
    answer = state.status(_shown(params["order"]).strip())
    if answer is None:
        raise SimError(INCORRECT_ORDER_ID)
    return answer


def refill(state: SimulatorState, catalog: Catalog, params: Params) -> dict | list:
    """Request refills: ``{"refill": "<id>"}``, or a list for ``orders=``."""
    if _present(params, "orders"):
        return [
            {"order": _id_value(text), "refill": _try(lambda t=text: state.refill(t))}
            for text in _ids(params["orders"])
        ]
    if not _present(params, "order"):
        raise SimError(INCORRECT_ORDER_ID)
    return {"refill": str(state.refill(_shown(params["order"])))}


def refill_status(state: SimulatorState, catalog: Catalog, params: Params) -> dict | list:
    """Refill statuses: ``{"status": …}``, or a list for ``refills=``."""
    if _present(params, "refills"):
        ids = _ids(params["refills"])
        return [
            {
                "refill": _id_value(text),
                "status": answer if answer is not None else {"error": REFILL_NOT_FOUND},
            }
            for text, answer in zip(ids, state.refill_statuses(ids), strict=True)
        ]
    if not _present(params, "refill"):
        raise SimError(REFILL_NOT_FOUND)
    answer = state.refill_statuses([_shown(params["refill"])])[0]
    if answer is None:
        raise SimError(REFILL_NOT_FOUND)
    return {"status": answer}


def cancel(state: SimulatorState, catalog: Catalog, params: Params) -> list:
    """Cancel orders: ``[{"order": 2, "cancel": 1}, {"order": 9, "cancel": {"error": …}}]``."""
    name = "orders" if _present(params, "orders") else "order"
    if not _present(params, name):
        raise SimError(INCORRECT_ORDER_ID)
    return [
        {"order": _id_value(text), "cancel": _try(lambda t=text: state.cancel(t) or 1)}
        for text in _ids(params[name])
    ]


def balance(state: SimulatorState, catalog: Catalog, params: Params) -> dict:
    """The simulated account's balance: ``{"balance": "100.84", "currency": "USD"}``."""
    return {"balance": format_money(state.balance()), "currency": state.config.currency}


ACTIONS: dict[str, Action] = {
    "services": services,
    "add": add,
    "status": status,
    "refill": refill,
    "refill_status": refill_status,
    "cancel": cancel,
    "balance": balance,
}


def _within_limits(service: SimService, quantity: int) -> None:
    if quantity < service.min:
        raise SimError(f"Quantity less than minimal {service.min}")
    if quantity > service.max:
        raise SimError(f"Quantity more than maximum {service.max}")


def _shown(value: object) -> str:
    if isinstance(value, list):  # JSON clients may send comments as a list
        return "\n".join(str(v) for v in value)
    return str(value)


def _present(params: Params, name: str) -> bool:
    value = params.get(name)
    return value is not None and _shown(value).strip() not in ("", "0")


def _text(params: Params, name: str, *, required: bool) -> str:
    value = params.get(name)
    if value is None or isinstance(value, (dict, bool)) or not _shown(value).strip():
        if required:
            raise SimError(f"{name} is required for this service")
        return ""
    text = _shown(value)
    if len(text) > MAX_TEXT or "\x00" in text:
        raise SimError(f"Incorrect {name}")
    return text


def _whole(value: object, name: str) -> int:
    """A positive whole number from an int or an ASCII digit string."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _is_digits(value.strip()):
        number = int(value.strip())
    else:
        raise SimError(f"Incorrect {name}")
    if number < 1:
        raise SimError(f"Incorrect {name}")
    return number


def _is_digits(text: str) -> bool:
    # ASCII only: str.isdigit() also accepts "²", which int() refuses.
    return 0 < len(text) <= 100 and text.isascii() and text.isdigit()


def _ids(raw: object) -> list[str]:
    """Distinct ids from ``1,2,3`` (or a JSON list), in the order sent; at most 100."""
    texts = [t.strip() for t in _shown(raw).replace("\n", ",").split(",")]
    ids = list(dict.fromkeys(t for t in texts if t))
    if len(ids) > MAX_IDS:
        raise SimError(f"Too many ids: at most {MAX_IDS} per request")
    return ids


def _id_value(text: str) -> int | str:
    """An id echoed back in a list answer: an integer when it is one, else as sent."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else text


def _try(call: Callable[[], object]) -> object:
    try:
        return call()
    except SimError as exc:
        return {"error": exc.message}
