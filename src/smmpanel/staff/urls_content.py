"""Staff pages: content (announcements, pages). Included under ``staff:``."""

from django.urls import path

from smmpanel.staff.views import content as views

urlpatterns = [
    path("content/news/", views.announcements, name="announcements"),
    path("content/news/<int:pk>/", views.announcement_edit, name="announcement-edit"),
    path("content/pages/", views.pages, name="pages"),
    path("content/pages/<int:pk>/", views.page_edit, name="page-edit"),
]
