"""Web pages: public. Included by web/urls.py under the `web` namespace."""

from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from smmpanel.web.views import habits, logo, public

urlpatterns = [
    path("services/", public.services, name="services"),
    path("favourites/", habits.favourite, name="favourite"),
    path("updates/", public.updates, name="updates"),
    path("policy/acceptable-use/", public.aup, name="aup"),
    path("policy/terms/", public.terms, name="terms"),
    path("api-docs/", public.api_docs, name="api-docs"),
    path("logo", logo.logo, name="logo"),
    # Browsers ask for /favicon.ico whatever the page links; send them to the static icon.
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("web/favicon.svg"), permanent=True),
        name="favicon",
    ),
]
