"""Staff pages: tickets. Included by staff/urls.py under the `staff` namespace."""

from django.urls import path

from smmpanel.staff.views import tickets as views

urlpatterns = [
    path("tickets/", views.inbox, name="tickets"),
    path("tickets/<int:ticket_id>/", views.ticket, name="ticket"),
    path("tickets/<int:ticket_id>/assign/", views.ticket_assign, name="ticket-assign"),
    path("tickets/<int:ticket_id>/close/", views.ticket_close, name="ticket-close"),
    path("tickets/canned/", views.canned_replies, name="canned-replies"),
    path("tickets/canned/<int:pk>/remove/", views.canned_reply_remove, name="canned-reply-remove"),
]
