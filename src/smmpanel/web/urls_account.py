"""Web pages: account (home, sign-in, settings, API keys). Included under ``web:``."""

from allauth.account import views as allauth_views
from django.urls import path

from smmpanel import health
from smmpanel.web.views import account, dashboard

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("login/", allauth_views.login, name="login"),
    path("signup/", allauth_views.signup, name="signup"),
    path("logout/", allauth_views.logout, name="logout"),
    path("settings/", account.preferences, name="settings"),
    path("settings/currency/", account.display_currency, name="display-currency"),
    path("api-keys/", account.api_keys, name="api-keys"),
    path("api-keys/<int:key_id>/revoke/", account.revoke_key, name="api-key-revoke"),
    path("health", health.health, name="health"),
    path("health/ready", health.health_ready, name="health-ready"),
]
