"""Web pages: account (home, sign-in, settings, API keys). Included under ``web:``."""

from django.contrib.auth import views as auth_views
from django.urls import path

from smmpanel.web.views import account

urlpatterns = [
    path("", account.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health", account.health, name="health"),
]
