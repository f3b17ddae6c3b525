"""Whose account a staff member may act on: the one rule every staff action on an
account (restrictions, API limits, balance moves and reviews, own prices, API keys,
deposits, orders and refills) checks before it writes.

Capabilities (``staff.permissions``) say *what* a role may do; this says *to whom*. A
staff member acts only on accounts below their own rank: customers and resellers for
support agents and moderators, any account but their own for owners. So nobody moves
money into their own account, cancels and refunds their own orders or lifts their own
restriction, and an owner is changed only by another owner.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from smmpanel.accounts.models import User

CUSTOMER_RANK = 0
STAFF_RANK = 1
OWNER_RANK = 2


class ActingOnOwnRank(PermissionDenied):
    """A staff member tried to act on their own account or on one of equal or higher
    rank. A ``PermissionDenied``: a view that lets it through answers 403."""


def rank_of(user: User) -> int:
    """Owners (and superusers) above other staff, staff above customers and resellers."""
    if user.is_superuser or (user.is_staff and user.staff_role == User.StaffRole.OWNER):
        return OWNER_RANK
    if user.is_staff or user.role == User.Role.STAFF:
        return STAFF_RANK
    return CUSTOMER_RANK


def refusal_to_act_on(actor: User | None, target: User) -> str:
    """Why ``actor`` may not act on ``target``'s account, or "" when they may. The system
    (no actor) always may."""
    if actor is None:
        return ""
    if actor.pk == target.pk:
        return _("Staff never act on their own account: another staff member must.")
    acting, acted_on = rank_of(actor), rank_of(target)
    if acting == OWNER_RANK and acted_on == OWNER_RANK:
        return ""  # owners are changed only by another owner
    if acted_on == OWNER_RANK:
        return _("Only another owner may act on the account of %(email)s (owner).") % {
            "email": target.email
        }
    if acted_on >= acting:
        return _("Only an owner may act on the account of %(email)s (staff).") % {
            "email": target.email
        }
    return ""


def ensure_may_act_on(actor: User | None, target: User) -> None:
    """Raise ``ActingOnOwnRank`` with the reason unless ``actor`` may act on ``target``."""
    reason = refusal_to_act_on(actor, target)
    if reason:
        raise ActingOnOwnRank(reason)
