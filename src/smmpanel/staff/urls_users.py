"""Staff pages: users. Included by staff/urls.py under the `staff` namespace.

Actions sit one level deeper (``users/<id>/do/<verb>/``) so they never meet the
moderation queue's ``users/<id>/<verb>/`` routes.
"""

from django.urls import path

from smmpanel.staff.views import users as views_users

urlpatterns = [
    path("users/", views_users.users, name="users"),
    path("users/<int:user_id>/", views_users.user_detail, name="user"),
    path("users/<int:user_id>/do/<slug:verb>/", views_users.user_do, name="user-do"),
    path(
        "users/<int:user_id>/lift/<slug:kind>/<int:pk>/",
        views_users.user_lift,
        name="user-lift",
    ),
    path("view-as/<int:user_id>/", views_users.view_as, name="view-as"),
]
