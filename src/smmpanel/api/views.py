"""The ``/api/v2`` endpoint: one URL, ``key`` + ``action`` + parameters in a form POST,
a JSON body or the query string; always HTTP 200 JSON, errors as ``{"error": …}``."""

import json
import logging
from math import ceil

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from smmpanel.accounts.selectors import api_key_for
from smmpanel.accounts.services import record_key_use
from smmpanel.api.actions import ACTIONS, ApiError
from smmpanel.api.service_list import encode
from smmpanel.client_ip import client_ip
from smmpanel.policy.decision_points import check_api_request
from smmpanel.policy.rate_limit import take, waiting

log = logging.getLogger(__name__)

# Said when the database cannot be reached. An ``add`` cut off this way may or may not
# have been placed: ``status`` (or the order list) tells before a retry.
DATABASE_UNAVAILABLE = "Service temporarily unavailable, please try again shortly"


def _json(data: object) -> HttpResponse:
    """The answer; ``bytes`` are an answer encoded already (the cached ``services``)."""
    body = data if isinstance(data, bytes) else encode(data)
    return HttpResponse(body, content_type="application/json", status=200)


def _error(message: str) -> HttpResponse:
    return _json({"error": message})


def _refused(gate) -> HttpResponse:
    """Over the limit or blocked: still API v2-shaped (HTTP 200, ``error``) for old
    clients, with the standard headers for newer ones."""
    hit = gate.verdict.deciding
    response = _error(f"{hit.message_en} (rule {hit.code})")
    if gate.retry_after:
        response["Retry-After"] = str(gate.retry_after)
        response["RateLimit-Policy"] = f'"api";q={gate.limit_per_minute};w=60'
        response["RateLimit"] = f'"api";r=0;t={gate.retry_after}'
    return response


def _too_many_bad_keys(wait: float) -> HttpResponse:
    seconds = max(ceil(wait), 1)
    response = _error(f"Too many invalid API keys, retry in {seconds} s")
    response["Retry-After"] = str(seconds)
    response["RateLimit-Policy"] = f'"badkey";q={settings.API_BAD_KEY_PER_MINUTE};w=60'
    response["RateLimit"] = f'"badkey";r=0;t={seconds}'
    return response


def _guessing(api_key, ip: str | None) -> float:
    """Seconds this IP must wait for guessing keys; 0 to go on.

    Invalid keys fill a bucket per IP. While it is full, requests from that IP are
    refused alike, valid key or not, so a right guess is not told apart from a wrong one —
    except with a key last used from this same IP (its owner's traffic: nothing for a
    guesser to learn, and no database read on the common path).
    """
    per_minute, burst = settings.API_BAD_KEY_PER_MINUTE, settings.API_BAD_KEY_BURST
    if per_minute <= 0 or (api_key is not None and ip and api_key.last_used_ip == ip):
        return 0.0
    return (take if api_key is None else waiting)(f"badkey:{ip or 'unknown'}", per_minute, burst)


def request_params(request: HttpRequest) -> dict[str, object]:
    """Merge query string, form body and JSON body (later ones win).

    Raises ``ApiError`` for a body that cannot be read as any of them.
    """
    params: dict[str, object] = {k: v for k, v in request.GET.items()}
    if request.method != "POST":
        return params
    content_type = request.content_type or ""
    try:
        if content_type == "application/json" or (
            not content_type.startswith(("application/x-www-form-urlencoded", "multipart/"))
            and request.body[:1] in (b"{", b"[")
        ):
            body = json.loads(request.body or b"{}")
            if not isinstance(body, dict):
                raise ApiError("Incorrect request")
            params |= body
        else:
            params |= {k: v for k, v in request.POST.items()}
    except (RequestDataTooBig, TooManyFieldsSent):
        raise ApiError("Request is too large") from None
    except (
        ValueError,  # also JSON and Unicode decoding errors
        RecursionError,  # JSON nested deeper than the parser goes: anyone can send it
        LookupError,  # an unknown charset
        BadRequest,  # a form body that is not UTF-8
        SuspiciousOperation,
        MultiPartParserError,
    ):
        raise ApiError("Incorrect request") from None
    return params


@csrf_exempt
def api_v2(request: HttpRequest) -> HttpResponse:
    # API texts are matched verbatim by clients: always English, whatever the headers say.
    with translation.override("en"):
        try:
            params = request_params(request)
            ip = client_ip(request)
            api_key = api_key_for(str(params.get("key") or "").strip())
            if wait := _guessing(api_key, ip):
                return _too_many_bad_keys(wait)
            if api_key is None:
                return _error("Invalid API key")
            action = ACTIONS.get(str(params.get("action") or "").strip().lower())
            if action is None:
                return _error("Incorrect request")
            gate = check_api_request(api_key, ip)
            record_key_use(api_key, ip)
            if gate.refused:
                return _refused(gate)
            return _json(action(api_key.user, params, api_key=api_key))
        except ApiError as exc:
            return _error(exc.message)
        except (OperationalError, InterfaceError) as exc:
            # The database is away (restart, failover): one line per request, not a
            # traceback each; Django reconnects by itself once it is back.
            log.warning("api v2 request failed, database unavailable: %s", str(exc)[:200])
            return _error(DATABASE_UNAVAILABLE)
        except Exception:  # an answer clients can parse beats a 500 page
            log.exception("api v2 request failed")
            return _error("Internal error, please try again")
