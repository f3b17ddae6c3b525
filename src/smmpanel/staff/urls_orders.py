"""Staff pages: orders. Included by staff/urls.py under the `staff` namespace."""

from django.urls import path

from smmpanel.staff.views import orders as views_orders

urlpatterns = [
    path("orders/", views_orders.orders, name="orders"),
    path("orders/bulk/", views_orders.orders_bulk, name="orders-bulk"),
    path("orders/export/", views_orders.orders_export, name="orders-export"),
    path("orders/<int:order_id>/", views_orders.order_detail, name="order"),
]
