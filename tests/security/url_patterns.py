"""The project's URL patterns, read from the URL resolver (not listed by hand)."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern


@dataclass(frozen=True)
class Route:
    namespace: str
    name: str | None
    route: str  # the full path pattern, e.g. "orders/<int:order_id>/refill/"
    converters: dict

    def params(self) -> list[tuple[str, str]]:
        """(converter type, name) of each path parameter, in order."""
        return [(t or "str", n) for t, n in re.findall(r"<(?:(\w+):)?(\w+)>", self.route)]

    def url(self, **values) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), self.route)


def routes(resolver=None, namespace: str = "", prefix: str = ""):
    """Every path pattern (regex patterns, i.e. the admin's, are skipped)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        if not isinstance(pattern, RoutePattern):  # a regex: the admin's
            continue
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from routes(entry, inner, prefix + str(pattern))
        elif isinstance(entry, URLPattern):
            yield Route(namespace, entry.name, prefix + str(pattern), dict(pattern.converters))
