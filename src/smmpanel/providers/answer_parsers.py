"""Provider API v2 wire format: error types, request fields, answers and strict parsers.

Providers in the wild send numbers as strings or as numbers, flags as booleans, 0/1 or
"1", and money with more decimals than a float can keep. The parsers here accept every
such spelling of a *valid* value and turn anything else into a typed error, so nothing
but a ``ProviderError`` ever reaches the caller. Money is ``Decimal`` all the way: the
JSON is decoded with ``parse_float=Decimal``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from smmpanel.unicode_text import strip_format_characters

log = logging.getLogger(__name__)

MAX_MESSAGE = 300  # provider texts end up in logs and staff pages: keep them short


class ProviderError(Exception):
    """Base of every error the provider client raises; ``message`` is safe to show staff."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ProviderUnavailable(ProviderError):
    """The request certainly did not reach the provider; it is safe to try again later."""


class ProviderAmbiguous(ProviderError):
    """The request may have reached the provider; an ``add`` must be reconciled, not resent."""


class ProviderRefused(ProviderError):
    """The provider answered ``{"error": "..."}``; ``message`` is its text."""


class ProviderBadAnswer(ProviderError):
    """The provider answered something that is not a valid API v2 answer."""


class ProviderAmbiguousAnswer(ProviderBadAnswer, ProviderAmbiguous):
    """An unreadable answer to a request that changes things (add, refill, cancel).

    The request reached the provider and may have been carried out, so this is both a bad
    answer and an ambiguous outcome; ``except ProviderAmbiguous`` catches it.
    """


STATUSES = ("Pending", "In progress", "Processing", "Completed", "Partial", "Canceled")
_STATUS_KEYS = {re.sub(r"\s+", "", s).lower(): s for s in STATUSES} | {"cancelled": "Canceled"}


@dataclass(frozen=True)
class RemoteStatus:
    """An order's status upstream. ``remains`` may be negative (over-delivery)."""

    status: str
    charge: Decimal | None
    start_count: int | None
    remains: int | None
    currency: str | None


@dataclass(frozen=True)
class RemoteService:
    """One entry of the provider's service list; ``service`` is its id as a string."""

    service: str
    name: str
    type: str
    category: str
    rate: Decimal
    min: int
    max: int
    refill: bool
    cancel: bool
    dripfeed: bool


class _Bad(Exception):
    """A field failed to parse; becomes a ProviderBadAnswer naming the field."""


_DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")
ID_TEXT = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # no commas: ids are joined with them
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no", ""}
_MAX_MAGNITUDE = 18  # digits; beyond this a "number" is garbage and int() would be slow


def snippet(body: bytes, limit: int = 80) -> str:
    """The start of a body, printable, for error messages."""
    text = body[:limit].decode("utf-8", "replace")
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()


def decode_json(body: bytes) -> object:
    """Decode a response body, refusing empty bodies, HTML pages and invalid JSON."""
    stripped = body.strip()
    if not stripped:
        raise ProviderBadAnswer("empty answer (expected JSON)")
    if stripped[:1] == b"<":
        raise ProviderBadAnswer(f"HTML page instead of JSON: {snippet(stripped)!r}")
    try:
        return json.loads(stripped, parse_float=Decimal)
    except (ValueError, RecursionError):  # JSONDecodeError, bad UTF-8, absurd nesting/ints
        raise ProviderBadAnswer(f"answer is not valid JSON: {snippet(stripped)!r}") from None


def refusal(data: object) -> str | None:
    """The text of a top-level ``{"error": ...}``, or None if the answer is not one."""
    if not isinstance(data, dict) or "error" not in data:
        return None
    error = data["error"]
    if error is None or error == "" or error is False:
        return None  # some panels send "error": null beside a success
    text = error if isinstance(error, str) else json.dumps(error, default=str)
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()[:MAX_MESSAGE] or "(empty error)"


def expect_object(data: object, success_key: str | None = None) -> dict:
    """The answer as a dict; ``{"error"}`` becomes ProviderRefused, other shapes bad."""
    text = refusal(data)
    if text is not None:
        if success_key is not None and isinstance(data, dict) and success_key in data:
            raise ProviderBadAnswer(f"answer has both {success_key!r} and an error: {text}")
        raise ProviderRefused(text)
    if not isinstance(data, dict):
        raise ProviderBadAnswer(f"expected a JSON object, got {_kind(data)}")
    return data


def parse_services(data: object) -> list[RemoteService]:
    """``action=services``: every entry must be valid, or the whole list is refused."""
    if isinstance(data, dict):
        expect_object(data)  # raises ProviderRefused for {"error"}
        raise ProviderBadAnswer("expected a JSON list of services, got an object")
    if not isinstance(data, list):
        raise ProviderBadAnswer(f"expected a JSON list of services, got {_kind(data)}")
    services = []
    for index, entry in enumerate(data):
        try:
            services.append(_service(entry))
        except _Bad as exc:
            raise ProviderBadAnswer(f"services[{index}]: {exc}") from None
    return services


def parse_order_id(data: object) -> str:
    """``action=add`` → the provider's order id."""
    return _field(expect_object(data, "order"), "order", _id)


def parse_status(data: object) -> RemoteStatus:
    """``action=status`` with one ``order``."""
    obj = expect_object(data, "status")
    try:
        return _status(obj)
    except _Bad as exc:
        raise ProviderBadAnswer(str(exc)) from None


def parse_multi_status(data: object, ids: list[str]) -> dict[str, RemoteStatus | ProviderRefused]:
    """``action=status`` with ``orders``: keyed by the requested ids.

    An id missing from the answer, or whose entry cannot be read, is left out (and logged):
    the caller polls it again later, while the other ids in the batch still count.
    """
    obj = expect_object(data)
    if len(ids) == 1 and "status" in obj:
        obj = {ids[0]: obj}  # some panels answer a one-id batch in the single-order shape
    result: dict[str, RemoteStatus | ProviderRefused] = {}
    for order_id in ids:
        entry = obj.get(order_id)
        if entry is None:
            log.warning("multi-status answer has no entry for order %s", order_id)
            continue
        text = refusal(entry)
        if text is not None:
            result[order_id] = ProviderRefused(text)
            continue
        try:
            if not isinstance(entry, dict):
                raise _Bad(f"expected an object, got {_kind(entry)}")
            result[order_id] = _status(entry)
        except _Bad as exc:
            log.warning("multi-status entry for order %s is unreadable: %s", order_id, exc)
    return result


def parse_refill_id(data: object) -> str:
    """``action=refill`` → the provider's refill id (a nested error is a refusal)."""
    obj = expect_object(data, "refill")
    _raise_nested(obj.get("refill"))
    return _field(obj, "refill", _id)


def parse_refill_status(data: object) -> str:
    """``action=refill_status`` → the refill's status text, as the provider wrote it."""
    obj = expect_object(data, "status")
    _raise_nested(obj.get("status"))
    return _field(obj, "status", _text)


def parse_cancel(data: object, ids: list[str]) -> dict[str, bool | ProviderRefused]:
    """``action=cancel`` → accepted or refused per requested id (unreadable ones left out)."""
    if not isinstance(data, list):
        expect_object(data)
        raise ProviderBadAnswer(f"expected a JSON list of cancel results, got {_kind(data)}")
    result: dict[str, bool | ProviderRefused] = {}
    for entry in data:
        try:
            if not isinstance(entry, dict):
                raise _Bad(f"expected an object, got {_kind(entry)}")
            order_id = _field_raw(entry, "order", _id)
            if order_id not in ids:
                continue
            outcome = entry.get("cancel")
            text = refusal(outcome)
            result[order_id] = ProviderRefused(text) if text else _field_raw(entry, "cancel", _flag)
        except _Bad as exc:
            log.warning("cancel answer entry is unreadable: %s", exc)
    return result


def parse_balance(data: object) -> tuple[Decimal, str]:
    """``action=balance`` → (balance, currency code)."""
    obj = expect_object(data, "balance")
    return _field(obj, "balance", _decimal), _field(obj, "currency", _text)


def interpret(code: int, body: bytes, location: str = "") -> object:
    """Decode the answer to a request by its HTTP status (5xx are handled by the caller)."""
    if 300 <= code < 400:
        raise ProviderBadAnswer(
            f"HTTP {code} redirect to {location[:100]!r}; redirects are not followed "
            "(check the provider URL)"
        )
    if 200 <= code < 300:
        return decode_json(body)
    # Some panels send their {"error"} with a 4xx status: still a refusal. Anything else
    # outside 2xx is not an API v2 answer.
    try:
        data = decode_json(body)
    except ProviderBadAnswer:
        data = None
    text = refusal(data)
    if text is not None:
        raise ProviderRefused(text)
    raise ProviderBadAnswer(f"HTTP {code}: {snippet(body) or 'empty body'!r}")


def id_field(value: object) -> str:
    """An order/refill id to send; ``ValueError`` if it could break the form or a batch."""
    text = str(value).strip()
    if not ID_TEXT.fullmatch(text):
        raise ValueError(f"not a provider id: {text[:40]!r}")
    return text


def id_batch(values: list[str], limit: int = 100) -> list[str]:
    """Ids for ``orders=`` (deduplicated, order kept); ``ValueError`` beyond ``limit``."""
    if isinstance(values, str | bytes):
        raise ValueError("pass a list of ids, not one string")
    ids = list(dict.fromkeys(id_field(v) for v in values))
    if len(ids) > limit:
        raise ValueError(f"at most {limit} ids per call, got {len(ids)}")
    return ids


def form_fields(params: dict[str, object]) -> dict[str, str]:
    """``add`` parameters as form fields: lists newline-joined, bools 1/0, None left out."""
    fields: dict[str, str] = {}
    for name, value in params.items():
        if name in ("key", "action"):
            raise ValueError(f"params must not set {name!r}")
        if value is None:
            continue
        if isinstance(value, bool):
            fields[name] = "1" if value else "0"
        elif isinstance(value, list | tuple):
            fields[name] = "\n".join(str(v) for v in value)
        else:
            fields[name] = str(value)
    return fields


# --- field parsers: each raises _Bad with a short reason --------------------------------


def _service(entry: object) -> RemoteService:
    if not isinstance(entry, dict):
        raise _Bad(f"expected an object, got {_kind(entry)}")
    service = _field_raw(entry, "service", _id)
    try:
        rate = _field_raw(entry, "rate", _decimal)
        minimum = _field_raw(entry, "min", _integer)
        maximum = _field_raw(entry, "max", _integer)
        if rate < 0 or minimum < 0 or maximum < minimum:
            raise _Bad(f"rate/min/max out of range ({rate}, {minimum}, {maximum})")
        return RemoteService(
            service=service,
            name=_field_raw(entry, "name", _text),
            # older panels omit type and category; "Default" is what API v2 means by none
            type=_optional(entry, "type", _text) or "Default",
            category=_optional(entry, "category", _text) or "",
            rate=rate,
            min=minimum,
            max=maximum,
            refill=bool(_optional(entry, "refill", _flag)),
            cancel=bool(_optional(entry, "cancel", _flag)),
            dripfeed=bool(_optional(entry, "dripfeed", _flag)),
        )
    except _Bad as exc:
        raise _Bad(f"service {service}: {exc}") from None


def _status(obj: dict) -> RemoteStatus:
    raw = _field_raw(obj, "status", _text)
    status = _STATUS_KEYS.get(re.sub(r"[\s_-]+", "", raw).lower())
    if status is None:
        raise _Bad(f"unknown status {raw[:40]!r}")
    charge = _optional(obj, "charge", _decimal)
    if charge is not None and charge < 0:
        raise _Bad(f"negative charge {charge}")
    return RemoteStatus(
        status=status,
        charge=charge,
        start_count=_optional(obj, "start_count", _integer),
        remains=_optional(obj, "remains", _integer),
        currency=_optional(obj, "currency", _text),
    )


def _raise_nested(value: object) -> None:
    text = refusal(value)
    if text is not None:
        raise ProviderRefused(text)


def _field(obj: dict, name: str, parse):
    try:
        return _field_raw(obj, name, parse)
    except _Bad as exc:
        raise ProviderBadAnswer(str(exc)) from None


def _field_raw(obj: dict, name: str, parse):
    if name not in obj or obj[name] is None:
        raise _Bad(f"missing {name!r}")
    try:
        return parse(obj[name])
    except _Bad as exc:
        raise _Bad(f"{name!r}: {exc}") from None


def _optional(obj: dict, name: str, parse):
    value = obj.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse(value)
    except _Bad as exc:
        raise _Bad(f"{name!r}: {exc}") from None


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise _Bad("expected a number, got a boolean")
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 64 or not _DECIMAL_TEXT.fullmatch(text):
            raise _Bad(f"expected a number, got {text[:40]!r}")
        value = Decimal(text)
    elif isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise _Bad(f"expected a number, got {_kind(value)}")
    try:
        if not value.is_finite() or (value and value.adjusted() >= _MAX_MAGNITUDE):
            raise _Bad(f"number out of range: {str(value)[:40]}")
        if len(value.as_tuple().digits) > 40:
            value = value.quantize(Decimal("1e-12"))  # keeps money exact to far below a micro
    except InvalidOperation:
        raise _Bad("number out of range") from None
    return value


def _integer(value: object) -> int:
    number = _decimal(value)
    if number != number.to_integral_value():
        raise _Bad(f"expected a whole number, got {number}")
    return int(number)


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Bad(f"expected a flag (true/false, 0/1), got {str(value)[:40]!r}")


def _id(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and ID_TEXT.fullmatch(value.strip()):
        return value.strip()
    raise _Bad(f"expected an id, got {str(value)[:40]!r}")


def _text(value: object) -> str:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)  # names like 1000 come unquoted from some panels
    # Zero-width and text-direction characters make a name display as another one on
    # staff pages: they are dropped.
    if isinstance(value, str) and (text := strip_format_characters(value).strip()):
        return text
    raise _Bad(f"expected text, got {_kind(value)}")


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | Decimal) else "null"
    )
