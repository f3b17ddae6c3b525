"""Fixtures of the access-control suites: a victim with one of everything that has an
id, an attacker with things of their own, and the back office (see ``access.py``)."""

import pytest
from django.utils.timezone import now

from smmpanel.accounts.models import User
from smmpanel.accounts.services import issue_api_key
from smmpanel.billing.deposits import request_deposit
from smmpanel.content.services import AnnouncementText, publish_announcement, save_page
from smmpanel.money import to_micros
from smmpanel.orders.models import Refill
from smmpanel.orders.services import complete_order, request_refill
from smmpanel.policy import engine, rulebook
from smmpanel.support.models import TicketKind
from smmpanel.support.services import open_ticket, reply
from tests.factories import make_order, make_service, make_staff, make_user, page_fields
from tests.security.access import (
    MARK,
    BackOffice,
    Victim,
)


@pytest.fixture
def victim(db):
    """A customer with one of everything that has an id: orders (finished and pending),
    a refill, a ticket with a reply, an API key and a deposit request."""
    service = make_service()
    user = make_user("100")
    done = complete_order(make_order(user, service, f"https://www.instagram.com/p/{MARK}1/"))
    pending = make_order(user, service, f"https://www.instagram.com/p/{MARK}2/")
    refill = request_refill(user, done.pk)
    ticket = open_ticket(user, TicketKind.ORDER, f"Ticket {MARK}", f"Body {MARK}", [done.pk])
    reply(ticket, user, f"Reply {MARK}")
    issued = issue_api_key(user, f"key {MARK}")
    deposit = request_deposit(user, "manual", "10")
    for point in {p for spec in rulebook.RULES for p in spec.points}:
        engine.rules_for(point)  # seeded on first use: not a write by the requests below
    return Victim(
        user,
        issued.plaintext,
        {
            "order": [done.pk, pending.pk],
            "refill": [refill.pk],
            "ticket": [ticket.pk],
            "api_key": [issued.api_key.pk],
            "deposit": [deposit.pk],
        },
    )


@pytest.fixture
def attacker(db, victim):
    """Another customer with things of their own (so no view can mistake "none")."""
    user = make_user("100")
    service = make_service()
    order = complete_order(make_order(user, service))
    open_ticket(user, TicketKind.ORDER, "My own ticket", "mine", [order.pk])
    return user


@pytest.fixture
def back_office(victim):
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.models import Group

    from smmpanel.accounts.models import ApiKey
    from smmpanel.policy import services as policy
    from smmpanel.providers.models import PendingServiceChange, RefillSubmission, Submission
    from smmpanel.providers.services import add_provider, add_route
    from smmpanel.staff.actions import catalog as price_actions
    from smmpanel.support.services import add_canned_reply

    owner = make_staff(User.StaffRole.OWNER)
    user = victim.user
    service = make_service(name=f"Service {MARK}")
    provider = add_provider(
        f"Provider {MARK}", "http://127.0.0.1:9/api/v2", f"key-{MARK}", allow_private=True
    )
    route = add_route(service, provider, f"remote-{MARK}", actor=owner, cost_micros=to_micros("1"))
    rate = price_actions.staff_set_custom_rate(
        user, service, actor=owner, reason="own price", rate_micros=to_micros("0.5")
    )
    refill = Refill.objects.get(pk=victim.ids["refill"][0])
    submission = Submission.objects.filter(order__user=user).order_by("pk").first()
    Submission.objects.filter(pk=submission.pk).update(
        provider=provider, provider_order_id=f"remote-{MARK}"
    )
    ids = victim.ids | {
        "user": [user.pk],
        "restriction": [policy.restrict(user, "ordering", reason="checking", actor=owner).pk],
        "api-limit": [policy.limit_api(user, 10, reason="checking", actor=owner).pk],
        "review": [policy.open_balance_review(user, reason="checking", actor=owner).pk],
        "api-key": victim.ids["api_key"],
        "rate": [rate.pk],
        "deny-entry": [
            policy.add_deny_entry("keyword", f"deny-{MARK}", actor=owner, reason="spam").pk
        ],
        "canned-reply": [add_canned_reply(f"Canned {MARK}", f"Text {MARK}").pk],
        "announcement": [
            publish_announcement(
                AnnouncementText(f"News {MARK}", f"Новини {MARK}", "Text", "Текст"), actor=owner
            ).pk
        ],
        "page": [save_page(None, page_fields(f"page-{MARK.lower()}"), actor=owner).pk],
        "service": [service.pk],
        "category": [service.category_id],
        "service-route": [route.pk],
        "provider": [provider.pk],
        "service-change": [
            PendingServiceChange.objects.create(
                service=service,
                provider=provider,
                changes={"refill": False},
                before={"refill": True},
            ).pk
        ],
    }
    admin_objects = {
        "auth.Group": Group.objects.create(name=f"Group {MARK}"),
        "account.EmailAddress": EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )[0],
        # Used once: the admin's form requires ``last_used_at``.
        "mfa.Authenticator": Authenticator.objects.create(
            user=user, type=Authenticator.Type.TOTP, data={"secret": MARK}, last_used_at=now()
        ),
        "accounts.User": user,
        "accounts.ApiKey": ApiKey.objects.get(pk=victim.ids["api_key"][0]),
        "providers.Provider": provider,
        "providers.ServiceRoute": route,
        "providers.Submission": submission,
        "providers.RefillSubmission": RefillSubmission.objects.create(
            refill=refill, provider=provider, next_attempt_at=refill.created_at
        ),
        "support.CannedReply": add_canned_reply(f"Answer {MARK}", f"Answer text {MARK}"),
    }
    superuser = make_user(role=User.Role.STAFF)
    User.objects.filter(pk=superuser.pk).update(is_superuser=True)
    return BackOffice(ids, admin_objects, superuser)
