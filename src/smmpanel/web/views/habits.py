"""Customer ordering habits: starring a service as a favourite."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from smmpanel.catalog.selectors import orderable_service
from smmpanel.orders.services_habits import set_favourite


@login_required
@require_POST
def favourite(request: HttpRequest) -> HttpResponse:
    """Star (``favourite=1``) or unstar (``0``) the active ``service``. htmx gets the
    new star back; a plain form post returns to the page it came from. (Services are
    public: the id travels in the form, not in a path owned by someone.)"""
    service = orderable_service(request.POST.get("service"))
    if service is None:
        raise Http404("No such service")
    starred = set_favourite(request.user, service, request.POST.get("favourite") == "1")
    if request.headers.get("HX-Request"):
        return render(
            request,
            "web/_favourite.html",
            {"service": service, "is_favourite": starred, "next": request.POST.get("next", "")},
        )
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("web:services")
