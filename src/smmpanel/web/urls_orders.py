"""Web pages: orders. Included by web/urls.py under the `web` namespace."""

from django.urls import path

from smmpanel.web.views import orders, orders_live, products

urlpatterns = [
    path("orders/", orders.orders, name="orders"),
    path("orders/new/", orders.order_new, name="order-new"),
    path("orders/mass/", orders.order_mass, name="order-mass"),
    path("orders/quote/", orders_live.order_quote, name="order-quote"),
    path("orders/live/", orders_live.orders_live, name="orders-live"),
    path("orders/<int:order_id>/", orders.order_detail, name="order-detail"),
    path("orders/<int:order_id>/refill/", orders.order_refill, name="order-refill"),
    path("orders/<int:order_id>/cancel/", orders.order_cancel, name="order-cancel"),
    path("refills/", orders.refills, name="refills"),
    path("dripfeed/", products.dripfeeds, name="dripfeeds"),
    path("subscriptions/", products.subscriptions, name="subscriptions"),
]
