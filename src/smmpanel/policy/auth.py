"""Login goes through the policy: an account whose login is blocked cannot sign in."""

from django.contrib.auth.backends import ModelBackend

from smmpanel.policy.gates import check_login


class PolicyAuthBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return check_login(user).allowed
