"""Machine endpoints skip the browser's middleware.

``/api/v2`` and ``/health`` serve programs. They keep no session and need no signed-in
user, CSRF token, message store, static file or language cookie (API texts are English,
matched verbatim by clients). Those middlewares cost more than a ``balance`` answer does,
so this one hands machine paths straight to their views. It sits after the security and
frame middlewares, so every answer still carries their headers, and it checks the
``Host`` header as ``CommonMiddleware`` would have. Its answers are data, never a page a
browser renders, so their Content-Security-Policy allows nothing at all (the OWASP
advice for APIs), a constant, where the pages' policy is built per answer by django-csp.
"""

from django.http import HttpRequest, HttpResponse

from smmpanel.api.views import api_v2
from smmpanel.health import health, health_ready

# Exact paths (the URL conf routes the same ones; a test keeps the two in step).
MACHINE_VIEWS = {
    "/api/v2": api_v2,
    "/api/v2/": api_v2,
    "/health": health,
    "/health/ready": health_ready,
}
MACHINE_CSP = "default-src 'none'; frame-ancestors 'none'"


class MachineEndpointMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = MACHINE_VIEWS.get(request.path_info)
        if view is None:
            return self.get_response(request)
        request.get_host()  # DisallowedHost for a host not in ALLOWED_HOSTS: a 400
        response = view(request)
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        response.setdefault("Content-Security-Policy", MACHINE_CSP)
        return response
