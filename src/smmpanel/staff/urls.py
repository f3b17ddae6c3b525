from django.urls import include, path

from smmpanel.staff.views import policy as views

app_name = "staff"
urlpatterns = [
    path("", views.moderation, name="moderation"),
    path("orders/<int:order_id>/<slug:verb>/", views.order_action, name="order-action"),
    path("users/<int:user_id>/<slug:verb>/", views.user_action, name="user-action"),
    path("lift/<slug:kind>/<int:pk>/", views.lift, name="lift"),
    path("refills/<int:refill_id>/<slug:verb>/", views.refill_action, name="refill-action"),
    path("rules/", views.rules, name="rules"),
    path("rules/<str:code>/", views.rule_edit, name="rule-edit"),
    path("deny/", views.deny_list, name="deny"),
    path("deny/<int:pk>/remove/", views.deny_remove, name="deny-remove"),
    path("audit/", views.audit, name="audit"),
    path("", include("smmpanel.staff.urls_tickets")),
    path("", include("smmpanel.staff.urls_funds")),
    path("", include("smmpanel.staff.urls_users")),
    path("", include("smmpanel.staff.urls_orders")),
    path("", include("smmpanel.staff.urls_catalog")),
    path("", include("smmpanel.staff.urls_providers")),
    path("", include("smmpanel.staff.urls_reports")),
    path("", include("smmpanel.staff.urls_settings")),
    path("", include("smmpanel.staff.urls_content")),
]
