"""Staff pages: services, categories and provider routes. Included by staff/urls.py
under the `staff` namespace."""

from django.urls import path

from smmpanel.staff.views import catalog as v

urlpatterns = [
    path("catalog/services/", v.services, name="services"),
    path("catalog/services/new/", v.service_new, name="service-new"),
    path("catalog/services/bulk/", v.services_bulk, name="services-bulk"),
    path("catalog/services/<int:pk>/", v.service_edit, name="service-edit"),
    path("catalog/services/<int:pk>/toggle/", v.service_toggle, name="service-toggle"),
    path("catalog/services/<int:pk>/move/<slug:direction>/", v.service_move, name="service-move"),
    path("catalog/services/<int:pk>/routes/", v.service_routes, name="service-routes"),
    path("catalog/routes/<int:pk>/", v.route_edit, name="route-edit"),
    path("catalog/routes/<int:pk>/remove/", v.route_remove, name="route-remove"),
    path("catalog/categories/", v.categories, name="categories"),
    path("catalog/categories/<int:pk>/", v.category_edit, name="category-edit"),
    path(
        "catalog/categories/<int:pk>/move/<slug:direction>/",
        v.category_move,
        name="category-move",
    ),
]
