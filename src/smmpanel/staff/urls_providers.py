"""Staff pages: providers. Included by staff/urls.py under the `staff` namespace."""

from django.urls import path

from smmpanel.staff.views import providers as v

urlpatterns = [
    path("providers/", v.providers_list, name="providers"),
    path("providers/new/", v.provider_new, name="provider-new"),
    path(
        "providers/changes/<int:pk>/<slug:verb>/",
        v.service_change_action,
        name="service-change-action",
    ),
    path("providers/<int:pk>/", v.provider_edit, name="provider-edit"),
    path("providers/<int:pk>/import/", v.provider_import, name="provider-import"),
    path("providers/<int:pk>/<slug:verb>/", v.provider_action, name="provider-action"),
]
