"""The panel's logo, uploaded by the owner on /staff/settings/ (PNG or JPEG only, checked
by its bytes when stored), served from the database with its own content type."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from smmpanel.configuration.selectors import logo as stored_logo


@require_GET
def logo(request):
    found = stored_logo()
    if found is None:
        raise Http404("no logo")
    data, content_type = found
    response = HttpResponse(data, content_type=content_type)
    # The URL carries the logo's version (?v=), so a new upload is a new URL.
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
