"""Login goes through the policy: an account whose login is blocked cannot sign in."""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model

from smmpanel.policy.decision_points import check_login, login_block_reason


class PolicyAuthBackend(AuthenticationBackend):
    """allauth's email backend (also serves Django's ``authenticate``), plus the
    ``account.login_blocked`` rule."""

    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return check_login(user).allowed

    def get_user(self, user_id):
        """Every request's session user: a login block also ends existing sessions.

        Only the restriction itself is read here (one query), not the whole rule set:
        the decision was recorded when the block was made and at sign-in attempts.
        """
        user = get_user_model()._default_manager.filter(pk=user_id).first()
        if user is None or not user.is_active or login_block_reason(user):
            return None
        return user
