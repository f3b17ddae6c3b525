"""Login goes through the policy: an account whose login is blocked cannot sign in."""

from allauth.account.auth_backends import AuthenticationBackend

from smmpanel.policy.gates import check_login


class PolicyAuthBackend(AuthenticationBackend):
    """allauth's email backend (also serves Django's ``authenticate``), plus the
    ``account.login_blocked`` rule."""

    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return check_login(user).allowed
