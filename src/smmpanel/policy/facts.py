"""What the engine knows when it decides: plain values, some computed on demand.

Rules read facts through ``Facts.get``; every value read is remembered, so the
decision record holds exactly the inputs that mattered, and ``ReplayFacts`` can feed
the same values back to the same rules to reproduce the decision.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any

Provider = Callable[..., Any]


class Facts:
    def __init__(self, values: Mapping[str, Any], providers: Mapping[str, Provider] | None = None):
        self._values = dict(values)
        self._providers = dict(providers or {})
        self.used: dict[str, Any] = {}

    def get(self, name: str, **args: Any) -> Any:
        """The fact ``name`` (a provider called with ``args`` for history counts)."""
        key = _key(name, args)
        if key in self.used:
            return self.used[key]
        if name in self._values and not args:
            value = self._values[name]
        elif name in self._providers:
            value = self._providers[name](**args)
        else:
            value = None
        self.used[key] = value
        return value

    def reading(self) -> "FactsReading":
        return FactsReading(self)


class FactsReading:
    """Tracks which facts one rule read, for that rule's decision record."""

    def __init__(self, facts: Facts):
        self.facts = facts
        self.used: dict[str, Any] = {}

    def get(self, name: str, **args: Any) -> Any:
        value = self.facts.get(name, **args)
        self.used[_key(name, args)] = value
        return value


class ReplayFacts(Facts):
    """Facts that answer with recorded values only (replaying a decision)."""

    def __init__(self, recorded: Mapping[str, Any]):
        super().__init__({})
        self._recorded = dict(recorded)

    def get(self, name: str, **args: Any) -> Any:
        key = _key(name, args)
        value = self._recorded.get(key)
        self.used[key] = value
        return value


def _key(name: str, args: Mapping[str, Any]) -> str:
    if not args:
        return name
    return f"{name}{json.dumps(args, sort_keys=True, default=str)}"
