"""Client for upstream providers speaking API v2 (form POST of ``key`` + ``action``).

* Public methods raise only ``ProviderError`` subclasses (and ``ValueError`` for bad
  arguments, before anything is sent); the class says whether the provider may have acted:
  ``ProviderUnavailable`` (not sent: retry later), ``ProviderAmbiguous`` (maybe received:
  reconcile, never resend an ``add``), ``ProviderRefused`` (its ``{"error"}``),
  ``ProviderBadAnswer`` (unreadable; for add/refill/cancel a ``ProviderAmbiguousAnswer``).
* Jittered exponential retries only where repeating cannot hurt: failures before sending
  for every action; read timeouts, resets and 5xx for read-only actions.
* A circuit breaker is asked before every attempt and told every outcome.
* Each call resolves and checks the host (with ``allow_private`` loopback and private
  addresses pass, metadata and link-local ones never) and connects to the checked
  address (Host header and TLS SNI carry the name); no redirects are followed.
* Each call ends by a total deadline (``total_timeout``), however slowly the provider
  trickles its answer; with ``slots`` (a semaphore shared per provider) a call that finds
  every slot taken is not sent (``ProviderBusy``), so one slow provider cannot hold all
  of a worker's threads.
* The API key never appears in an exception message or a log line.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import threading
import time
import traceback
from collections.abc import Callable
from decimal import Decimal
from typing import Protocol, TypeVar
from urllib.parse import quote, quote_plus

import httpcore
import httpx

from smmpanel.providers import answer_parsers
from smmpanel.providers.answer_parsers import (
    ProviderAmbiguous,
    ProviderAmbiguousAnswer,
    ProviderBadAnswer,
    ProviderError,
    ProviderRefused,
    ProviderUnavailable,
    RemoteService,
    RemoteStatus,
)
from smmpanel.providers.url_safety import (
    CheckedUrl,
    ProviderHostUnresolvable,
    UnsafeProviderUrl,
    check_provider_url,
    check_url_shape,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BODY = 5 * 1024 * 1024  # a full services list is well under 1 MB
MAX_BATCH = 100  # API v2 limit for status/cancel with "orders"
MAX_BACKOFF = 30.0
USER_AGENT = "smmpanel-provider-client/0.1"
# Raised before a byte of the request left: connect refused/timed out, DNS, TLS handshake.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


class ProviderBusy(ProviderUnavailable):
    """Not sent: this process already has as many calls to the provider in flight as it
    allows. Says nothing about the provider's health: try again soon, count no failure."""


class Slots(Protocol):
    """The per-provider bound on calls in flight (a ``threading.BoundedSemaphore``)."""

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool: ...
    def release(self) -> None: ...


class CircuitBreaker(Protocol):
    """Per-provider breaker; the client asks ``allow()`` before each attempt."""

    def allow(self) -> bool: ...
    def record_success(self) -> None: ...
    def record_failure(self) -> None: ...


class MemoryCircuitBreaker:
    """In-process breaker: opens after ``threshold`` consecutive failures for ``cooldown`` s.

    After the cooldown it is half-open: one probe call goes through; its success closes the
    breaker, its failure opens it for another cooldown.
    """

    def __init__(
        self,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_at: float | None = None

    @property
    def state(self) -> str:
        """``"closed"``, ``"open"`` or ``"half-open"``."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "open" if self._clock() - self._opened_at < self.cooldown else "half-open"

    def allow(self) -> bool:
        """Whether a call may go out now (in half-open state: only the one probe)."""
        with self._lock:
            state = self._state()
            if state != "half-open":
                return state == "closed"
            now = self._clock()
            # A probe that never reported back (its worker died) frees the slot after a
            # cooldown, so the breaker cannot stay stuck half-open.
            if self._probe_at is not None and now - self._probe_at < self.cooldown:
                return False
            self._probe_at = now
            return True

    def record_success(self) -> None:
        """Close the breaker and forget earlier failures."""
        with self._lock:
            self._failures, self._opened_at, self._probe_at = 0, None, None

    def record_failure(self) -> None:
        """Count a failure; open on the threshold, reopen on a failed probe."""
        with self._lock:
            self._failures += 1
            if self._opened_at is not None or self._failures >= self.threshold:
                self._opened_at, self._probe_at = self._clock(), None


class _NotSent(Exception):
    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class _MaybeSent(Exception):
    pass


class ProviderClient:
    """One upstream provider's API v2. Thread-safe; ``close()`` releases connections.

    Raises ``UnsafeProviderUrl`` at construction for a URL that can never be used (wrong
    scheme, credentials, forbidden or oddly spelt IP literal); DNS-dependent checks run on
    each call and fail as ``ProviderUnavailable``, as does an HTTP 429 (rate limited: not
    acted upon). ``resolve`` is injectable for tests.
    """

    def __init__(
        self,
        url: str,
        key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        retries: int = 2,
        backoff: float = 0.5,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], object] = time.sleep,
        allow_private: bool = False,
        resolve: Callable[..., list] = socket.getaddrinfo,
        total_timeout: float | None = None,
        slots: Slots | None = None,
    ) -> None:
        self._shape = check_url_shape(url, allow_private=allow_private)
        self._key = key
        # The key is form-encoded on the wire, so an echo of the body may carry either form.
        self._secrets = sorted({key, quote_plus(key), quote(key, safe="")} - {""}, key=len)[::-1]
        self._allow_private = allow_private
        self._resolve = resolve
        self._retries = max(0, int(retries))
        self._backoff = backoff
        self._breaker = breaker
        self._sleep = sleep
        # A read timeout is per read, so a server trickling bytes could hold a worker for
        # ever; this caps a whole call (every attempt, every byte, the backoff between).
        self._total = total_timeout if total_timeout else connect_timeout + 3 * read_timeout
        self._slots = slots
        self._local = threading.local()  # this thread's call deadline (clients are shared)
        self._random = random.Random()
        self._http = httpx.Client(
            transport=transport or _DeadlineTransport(self._call_deadline),
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            follow_redirects=False,
            trust_env=False,  # no proxy or .netrc from the environment: we pin the address
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Accept-Encoding": "identity",  # keeps the body cap a cap on real bytes
            },
        )

    def __repr__(self) -> str:
        return f"<ProviderClient {self._shape.url}>"

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def __enter__(self) -> ProviderClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- API v2 actions ---------------------------------------------------------------

    def services(self) -> list[RemoteService]:
        """The provider's service list (``action=services``)."""
        return self._call("services", {}, answer_parsers.parse_services, idempotent=True)

    def add(self, params: dict[str, object]) -> str:
        """Place an order; returns the provider's order id. Never retried once maybe sent.

        ``params`` are the API v2 fields (service, link, quantity, runs, comments…); lists
        are sent newline-joined, booleans as 1/0, None values are left out.
        """
        return self._call(
            "add",
            answer_parsers.form_fields(params),
            answer_parsers.parse_order_id,
            idempotent=False,
        )

    def status(self, order_id: str) -> RemoteStatus:
        """One order's status (``action=status&order=``)."""
        fields = {"order": answer_parsers.id_field(order_id)}
        return self._call("status", fields, answer_parsers.parse_status, idempotent=True)

    def multi_status(self, order_ids: list[str]) -> dict[str, RemoteStatus | ProviderRefused]:
        """Up to 100 orders' statuses in one call, keyed by the ids as given.

        A per-order ``{"error"}`` is a ``ProviderRefused`` value; ids the provider left
        out or answered unreadably are absent from the result (poll them again later).
        """
        ids = answer_parsers.id_batch(order_ids, MAX_BATCH)
        if not ids:
            return {}
        result = self._call(
            "status",
            {"orders": ",".join(ids)},
            lambda data: answer_parsers.parse_multi_status(data, ids),
            idempotent=True,
        )
        return {k: self._clean_value(v) for k, v in result.items()}

    def refill(self, order_id: str) -> str:
        """Ask for a refill of one order; returns the provider's refill id."""
        fields = {"order": answer_parsers.id_field(order_id)}
        return self._call("refill", fields, answer_parsers.parse_refill_id, idempotent=False)

    def refill_status(self, refill_id: str) -> str:
        """A refill's status text as the provider spells it."""
        fields = {"refill": answer_parsers.id_field(refill_id)}
        return self._call(
            "refill_status", fields, answer_parsers.parse_refill_status, idempotent=True
        )

    def cancel(self, order_ids: list[str]) -> dict[str, bool | ProviderRefused]:
        """Ask to cancel up to 100 orders; per id: accepted (bool) or ``ProviderRefused``."""
        ids = answer_parsers.id_batch(order_ids, MAX_BATCH)
        if not ids:
            return {}
        result = self._call(
            "cancel",
            {"orders": ",".join(ids)},
            lambda data: answer_parsers.parse_cancel(data, ids),
            idempotent=False,
        )
        return {k: self._clean_value(v) for k, v in result.items()}

    def balance(self) -> tuple[Decimal, str]:
        """Our balance with the provider and its currency code."""
        return self._call("balance", {}, answer_parsers.parse_balance, idempotent=True)

    # --- one call: attempts, breaker, answer ------------------------------------------

    def _call(
        self,
        action: str,
        fields: dict[str, str],
        parse: Callable[[object], T],
        *,
        idempotent: bool,
    ) -> T:
        if self._slots is not None and not self._slots.acquire(blocking=False):
            raise ProviderBusy(
                f"{action}: this provider already has all the calls it may have in "
                "flight from this worker; request not sent"
            )
        self._local.deadline = time.monotonic() + self._total
        try:
            return self._call_in_slot(action, fields, parse, idempotent=idempotent)
        finally:
            self._local.deadline = None
            if self._slots is not None:
                self._slots.release()

    def _call_deadline(self) -> float | None:
        return getattr(self._local, "deadline", None)

    def _call_in_slot(
        self,
        action: str,
        fields: dict[str, str],
        parse: Callable[[object], T],
        *,
        idempotent: bool,
    ) -> T:
        form = {"key": self._key, "action": action, **fields}
        try:
            code, body, location = self._send(action, form, idempotent)
            result = parse(answer_parsers.interpret(code, body, location))
        except ProviderRefused as exc:
            self._record(True)  # the transport and the provider work; it just said no
            raise self._clean(exc, idempotent) from None
        except ProviderBadAnswer as exc:
            self._record(False)
            raise self._clean(exc, idempotent) from None
        except ProviderError as exc:  # already recorded by _send
            raise self._clean(exc, idempotent) from None
        except Exception as exc:  # a bug here must still reach the caller as a ProviderError
            self._record(False)
            # No traceback in the log: its last line would quote an unscrubbed message.
            where = traceback.extract_tb(exc.__traceback__)[-1]
            detail = f"{_describe(exc)} at {where.filename}:{where.lineno}"
            log.error("provider %s: %s: %s", self._shape.host, action, self._scrub(detail))
            error = ProviderBadAnswer(f"{action}: answer could not be handled ({_describe(exc)})")
            raise self._clean(error, idempotent) from None
        self._record(True)
        return result

    def _send(self, action: str, form: dict[str, str], idempotent: bool) -> tuple[int, bytes, str]:
        attempts = self._retries + 1
        target: CheckedUrl | None = None
        for attempt in range(1, attempts + 1):
            if not self._allow():
                raise ProviderUnavailable(
                    f"{action}: circuit breaker open for this provider; request not sent"
                )
            try:
                if target is None:
                    target = self._target()
                return self._exchange(target, attempt, form)
            except _NotSent as exc:
                self._record(False)
                error: ProviderError = ProviderUnavailable(f"{action}: request not sent: {exc}")
                retry = exc.retry
            except _MaybeSent as exc:
                self._record(False)
                error = ProviderAmbiguous(f"{action}: {exc}; the provider may have received it")
                retry = idempotent
            if not retry or attempt == attempts:
                raise error
            base = min(MAX_BACKOFF, self._backoff * 2 ** (attempt - 1))
            delay = base / 2 + self._random.uniform(0, base / 2)  # jitter spreads out retries
            deadline = self._call_deadline()
            if deadline is not None and time.monotonic() + delay >= deadline:
                raise error  # no time left for another attempt within the call's deadline
            log.warning(
                "provider %s: %s attempt %d/%d failed (%s); retrying in %.2fs",
                self._shape.host,
                action,
                attempt,
                attempts,
                self._scrub(error.message),
                delay,
            )
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _target(self) -> CheckedUrl:
        # The simulator is checked and pinned too: a private provider's name must not
        # resolve to a metadata or link-local address either.
        try:
            return check_provider_url(
                self._shape.url, allow_private=self._allow_private, resolve=self._resolve
            )
        except ProviderHostUnresolvable as exc:
            raise _NotSent(str(exc)) from None
        except UnsafeProviderUrl as exc:
            raise _NotSent(str(exc), retry=False) from None

    def _exchange(self, target: CheckedUrl, attempt: int, form: dict[str, str]):
        url = httpx.URL(self._shape.url)
        headers: dict[str, str] = {}
        extensions: dict[str, object] = {}
        if target.addresses and not self._shape.addresses:  # a name, not an IP literal
            # Connect to the address we checked; rotate through them across retries.
            address = target.addresses[(attempt - 1) % len(target.addresses)]
            headers["Host"] = url.netloc.decode("ascii")
            if url.scheme == "https":
                extensions["sni_hostname"] = target.host.rstrip(".")
            url = url.copy_with(host=address)
        try:
            request = self._http.build_request(
                "POST", url, data=form, headers=headers, extensions=extensions
            )
        except Exception as exc:
            raise _NotSent(f"request could not be built: {_describe(exc)}", retry=False) from None
        try:
            response = self._http.send(request, stream=True)
        except _NOT_SENT as exc:
            raise _NotSent(_describe(exc)) from None
        except Exception as exc:  # read/write timeout, reset, protocol error, transport bug
            raise _MaybeSent(_describe(exc)) from None
        try:
            return self._read(response)
        finally:
            with contextlib.suppress(Exception):  # closing cannot change what we received
                response.close()

    def _read(self, response: httpx.Response) -> tuple[int, bytes, str]:
        code = response.status_code
        if code >= 500:
            raise _MaybeSent(f"HTTP {code} from the provider")
        if code == 429:
            raise _NotSent("rate limited by the provider (HTTP 429)", retry=False)
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and (len(declared) > 12 or int(declared) > MAX_BODY):
            raise ProviderBadAnswer(f"answer is larger than {MAX_BODY} bytes")
        body = bytearray()
        try:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BODY:
                    raise ProviderBadAnswer(f"answer is larger than {MAX_BODY} bytes")
                deadline = self._call_deadline()
                if deadline is not None and time.monotonic() > deadline:
                    raise _MaybeSent(
                        f"answer still incomplete after the total deadline of {self._total:g}s"
                    )
        except (ProviderBadAnswer, _MaybeSent):
            raise
        except httpx.DecodingError:
            raise ProviderBadAnswer("answer could not be decoded (bad compression)") from None
        except Exception as exc:
            raise _MaybeSent(f"answer cut off: {_describe(exc)}") from None
        # Scrub before anything quotes the body: a provider echoing our form leaks the key.
        clean = bytes(body)
        for secret in self._secrets:
            clean = clean.replace(secret.encode(), b"[key]")
        return code, clean, self._scrub(response.headers.get("location", ""))

    # --- breaker and hygiene ------------------------------------------------------------

    def _allow(self) -> bool:
        if self._breaker is None:
            return True
        try:
            return bool(self._breaker.allow())
        except Exception:  # a broken breaker store must not stop all traffic
            log.warning("provider %s: circuit breaker failed; allowing", self._shape.host)
            return True

    def _record(self, success: bool) -> None:
        if self._breaker is None:
            return
        try:
            if success:
                self._breaker.record_success()
            else:
                self._breaker.record_failure()
        except Exception as exc:  # never lose an order id because the breaker store hiccuped
            log.warning("provider %s: circuit breaker could not record: %s", self._shape.host, exc)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[key]")
        return text

    def _clean(self, exc: ProviderError, idempotent: bool) -> ProviderError:
        cls = type(exc)
        if cls is ProviderBadAnswer and not idempotent:
            cls = ProviderAmbiguousAnswer  # it was received; it may have been acted upon
        return cls(self._scrub(exc.message)[: 2 * answer_parsers.MAX_MESSAGE])

    def _clean_value(self, value: T) -> T:
        if isinstance(value, ProviderRefused):
            return ProviderRefused(self._scrub(value.message))  # type: ignore[return-value]
        return value


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport whose sockets never wait past the current call's deadline.

    httpx has per-read timeouts only: a server sending a byte a second meets every one of
    them for ever, in the headers as in the body. Each socket operation here waits at most
    until the deadline ``deadline_of()`` gives for the calling thread, then times out as
    httpx's own timeouts do (connect: not sent; read/write: maybe sent).
    """

    def __init__(self, deadline_of: Callable[[], float | None]) -> None:
        super().__init__(trust_env=False)
        # httpx builds its connection pool with no way to pass a network backend; this is
        # the same pool (verified TLS, default limits) over one that keeps the deadline.
        limits = httpx.Limits()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(deadline_of),
        )


_PAST_DEADLINE = "no complete answer within the total deadline (PROVIDER_TOTAL_TIMEOUT)"


def _deadline_bound(
    deadline_of: Callable[[], float | None],
    timeout: float | None,
    timed_out: type[Exception],
    operation: Callable[[float | None], T],
) -> T:
    """``operation(timeout)`` with ``timeout`` shortened to what is left of the call's
    deadline; a timeout that the deadline caused says so (``timed_out``)."""
    deadline = deadline_of()
    if deadline is None:
        return operation(timeout)
    left = deadline - time.monotonic()
    if left <= 0:
        raise timed_out(_PAST_DEADLINE)
    if timeout is not None and timeout < left:
        return operation(timeout)
    try:
        return operation(left)
    except httpcore.TimeoutException:
        raise timed_out(_PAST_DEADLINE) from None


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline_of: Callable[[], float | None]) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline_of = deadline_of

    def connect_tcp(
        self, host, port, timeout=None, local_address=None, socket_options=None
    ) -> httpcore.NetworkStream:
        stream = _deadline_bound(
            self._deadline_of,
            timeout,
            httpcore.ConnectTimeout,
            lambda t: self._inner.connect_tcp(host, port, t, local_address, socket_options),
        )
        return _DeadlineStream(stream, self._deadline_of)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        stream = _deadline_bound(
            self._deadline_of,
            timeout,
            httpcore.ConnectTimeout,
            lambda t: self._inner.connect_unix_socket(path, t, socket_options),
        )
        return _DeadlineStream(stream, self._deadline_of)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline_of) -> None:
        self._inner = inner
        self._deadline_of = deadline_of

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _deadline_bound(
            self._deadline_of,
            timeout,
            httpcore.ReadTimeout,
            lambda t: self._inner.read(max_bytes, t),
        )

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _deadline_bound(
            self._deadline_of,
            timeout,
            httpcore.WriteTimeout,
            lambda t: self._inner.write(buffer, t),
        )

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        tls = _deadline_bound(
            self._deadline_of,
            timeout,
            httpcore.ConnectTimeout,
            lambda t: self._inner.start_tls(ssl_context, server_hostname, t),
        )
        return _DeadlineStream(tls, self._deadline_of)

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)
