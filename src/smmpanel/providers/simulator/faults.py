"""Fault modes the tests switch on: the ways a real provider misbehaves.

A fault applies to API requests whose action is in ``actions`` (all when omitted), for
the next ``count`` of them (forever when omitted), then the simulator behaves again.

- ``timeout``: wait ``delay`` seconds, then close the connection without an answer;
  the request is not processed.
- ``error500``: HTTP 500 with an HTML error page; not processed.
- ``html``: HTTP 200 with an HTML page (a proxy's challenge page); not processed.
- ``garbage``: HTTP 200, ``application/json``, a body that is not JSON; not processed.
- ``empty``: HTTP 200 with an empty body; not processed.
- ``slow``: wait ``delay`` seconds, then process and answer normally.
- ``accept_then_timeout``: process the request (the order IS created), then wait
  ``delay`` seconds before answering, so a client with a shorter timeout never sees the
  answer and must reconcile instead of sending again.
- ``refuse``: the server stops listening for ``delay`` seconds, so connections are
  refused outright (only with the simulator's own server; ``actions``/``count`` do not
  apply because a refused connection carries no action).
- ``none``: switch faults off.
"""

import threading
from dataclasses import dataclass

MODES = (
    "none",
    "timeout",
    "error500",
    "html",
    "garbage",
    "empty",
    "slow",
    "accept_then_timeout",
    "refuse",
)
DEFAULT_DELAY = {"timeout": 30.0, "accept_then_timeout": 30.0, "slow": 3.0, "refuse": 5.0}
MAX_DELAY = 3600.0


@dataclass(frozen=True)
class Fault:
    """One fault mode with its scope (actions, count) and its delay."""

    mode: str
    actions: frozenset[str] | None  # None: every action
    count: int | None  # None: until switched off
    delay: float

    def as_json(self, left: int | None) -> dict:
        """The fault as the control API shows it; ``left`` is what remains of ``count``."""
        return {
            "fault": self.mode,
            "actions": sorted(self.actions) if self.actions is not None else None,
            "count": self.count,
            "left": left,
            "delay": self.delay,
        }


def parse_fault(spec: dict) -> Fault:
    """A ``Fault`` from the control request's JSON, or ValueError saying what is wrong."""
    mode = spec.get("fault")
    if mode not in MODES:
        raise ValueError(f"fault must be one of: {', '.join(MODES)}")
    actions = spec.get("actions")
    if actions is not None:
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            raise ValueError("actions must be a list of action names")
        actions = frozenset(a.strip().lower() for a in actions)
    count = spec.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError("count must be a whole number of at least 1")
    delay = spec.get("delay", DEFAULT_DELAY.get(mode, 0.0))
    if isinstance(delay, bool) or not isinstance(delay, (int, float)):
        raise ValueError("delay must be a number of seconds")
    if not 0 <= delay <= MAX_DELAY:
        raise ValueError(f"delay must be between 0 and {MAX_DELAY:g} seconds")
    return Fault(mode, actions, count, float(delay))


class FaultSwitch:
    """The one fault in force, shared by all request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fault: Fault | None = None
        self._left: int | None = None
        self.triggered = 0

    def set(self, fault: Fault) -> None:
        """Put ``fault`` in force, replacing any other (``none`` switches faults off)."""
        with self._lock:
            if fault.mode in ("none", "refuse"):  # refuse is the server's business
                self._fault, self._left = None, None
            else:
                self._fault, self._left = fault, fault.count

    def clear(self) -> None:
        """No fault, and the triggered counter back to zero."""
        with self._lock:
            self._fault, self._left = None, None
            self.triggered = 0

    def take(self, action: str) -> Fault | None:
        """The fault to apply to a request for ``action``, using up one of its count."""
        with self._lock:
            fault = self._fault
            if fault is None or (fault.actions is not None and action not in fault.actions):
                return None
            if self._left is not None:
                self._left -= 1
                if self._left <= 0:
                    self._fault, self._left = None, None
            self.triggered += 1
            return fault

    def describe(self) -> dict:
        """The fault in force (or none) and how many requests it still affects."""
        with self._lock:
            if self._fault is None:
                return {"fault": None, "faults_left": 0, "faults_triggered": self.triggered}
            return {
                "fault": self._fault.as_json(self._left),
                # None: no count was given, so the fault lasts until switched off.
                "faults_left": self._left,
                "faults_triggered": self.triggered,
            }
