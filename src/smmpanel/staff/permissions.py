"""What each staff role may do. Views name the capability they need; one table here
decides, so "support cannot change prices, moderators cannot edit providers" is one
place to read and to test."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from smmpanel.accounts.models import User

MODERATE = "moderate"  # moderation queue, restrictions, balance reviews, Review orders
RULES = "rules"  # policy rules and deny lists
TICKETS = "tickets"
USERS = "users"  # view users, their ledger; restrict; reset API keys
FUNDS = "funds"  # confirm deposits, adjust balances, chargebacks
ORDERS = "orders"  # bulk order actions
PRICES = "prices"  # services, categories, rates
PROVIDERS = "providers"
REPORTS = "reports"
SETTINGS = "settings"  # panel settings: site, contacts, payments, mail, Telegram, alerts
CONTENT = "content"  # announcements, FAQ and custom pages

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    User.StaffRole.OWNER: frozenset(
        {
            MODERATE,
            RULES,
            TICKETS,
            USERS,
            FUNDS,
            ORDERS,
            PRICES,
            PROVIDERS,
            REPORTS,
            SETTINGS,
            CONTENT,
        }
    ),
    User.StaffRole.SUPPORT: frozenset({TICKETS, USERS, FUNDS, ORDERS, REPORTS, CONTENT}),
    User.StaffRole.MODERATOR: frozenset({MODERATE, RULES, TICKETS, USERS, ORDERS}),
}


def can(user, capability: str) -> bool:
    """Whether ``user`` (a staff member) has ``capability``; superusers always do."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    return capability in ROLE_CAPABILITIES.get(user.staff_role, frozenset())


def has_second_factor(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def staff_required(capability: str):
    """View decorator: staff sign-in required, with two-factor authentication set up
    (allauth then asks for the code at every sign-in), then ``capability`` (403)."""

    def decorator(view):
        @staff_member_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if settings.STAFF_REQUIRE_2FA and not has_second_factor(request.user):
                messages.warning(
                    request, _("Staff pages need two-factor authentication: set it up first.")
                )
                return redirect("mfa_activate_totp")
            if not can(request.user, capability):
                raise PermissionDenied(f"your staff role cannot {capability}")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
