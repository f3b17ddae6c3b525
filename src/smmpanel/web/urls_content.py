"""Web pages: news and staff-written pages. Included under ``web:``."""

from django.urls import path

from smmpanel.web.views import content

urlpatterns = [
    path("news/", content.news, name="news"),
    path("news/read/", content.news_read, name="news-read"),
    path("pages/<slug:slug>/", content.page, name="page"),
]
