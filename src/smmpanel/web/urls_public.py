"""Web pages: public. Included by web/urls.py under the `web` namespace."""

from django.urls import path

from smmpanel.web.views import public

urlpatterns = [
    path("services/", public.services, name="services"),
    path("updates/", public.updates, name="updates"),
    path("policy/acceptable-use/", public.aup, name="aup"),
    path("policy/terms/", public.terms, name="terms"),
    path("api-docs/", public.api_docs, name="api-docs"),
]
