"""Web pages: tickets. Included by web/urls.py under the `web` namespace."""

from django.urls import path

from smmpanel.web.views import tickets

urlpatterns = [
    path("tickets/", tickets.ticket_list, name="tickets"),
    path("tickets/new/", tickets.ticket_new, name="ticket-new"),
    path("tickets/<int:ticket_id>/", tickets.ticket_detail, name="ticket-detail"),
    path("tickets/<int:ticket_id>/close/", tickets.ticket_close, name="ticket-close"),
]
