from django.urls import path

from smmpanel.api.views import api_v2

app_name = "api"
urlpatterns = [
    path("v2", api_v2, name="v2"),
    path("v2/", api_v2),
]
