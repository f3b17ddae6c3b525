"""Whose account a staff member may act on (issue 23, High): every staff action on an
account, tried by every staff role on their own account, on another of their role, on
a staff member of the other role below owner, on the owner and on a customer.

Support agents and moderators act only on customers; an owner acts on any account but
their own (owners are changed only by another owner). A refused action writes nothing
anywhere. The same requests by an owner on a customer and on another owner write: the
refusals are the rule's, not a broken form's.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from smmpanel.accounts.models import User
from smmpanel.accounts.services import issue_api_key
from smmpanel.billing.deposits import request_deposit
from smmpanel.billing.services import deposit
from smmpanel.money import to_micros
from smmpanel.orders.models import OrderStatus
from smmpanel.orders.services import complete_order, request_refill
from smmpanel.orders.state import transition
from smmpanel.policy import services as policy
from smmpanel.staff.actions import catalog as price_actions
from tests.factories import make_order, make_service, make_staff, make_user
from tests.security.access import (
    KIND_SLUG,
    STAFF_ID_KINDS,
    STAFF_PK_KINDS,
    assert_unchanged,
    database_state,
    staff_routes,
)

REASON = {"reason": "checking the rank rule"}


@dataclass(frozen=True)
class Action:
    """One staff request on an account: its route, what it names, what it sends."""

    label: str
    route: str
    url: Callable[[dict], str]
    form: dict


def _post(route: str, *args_from: str, **form) -> Callable[[str], Action]:
    """A POST to ``route`` whose path takes ``args_from``: words as given, "@name" as the
    id of the target's holding ``name``."""

    def build(label: str) -> Action:
        return Action(
            label,
            route,
            lambda ids: reverse(
                f"staff:{route}", args=[ids[a[1:]] if a[0] == "@" else a for a in args_from]
            ),
            REASON | form,
        )

    return build


def _bulk(action: str, order: str, value: str = "") -> Callable[[str], Action]:
    """The orders list's bulk form with the target's order ``order`` ticked."""

    def build(label: str) -> Action:
        form = {"action": action, "order": f"{{{order}}}", f"value-{{{order}}}": value}
        return Action(label, "orders-bulk", lambda ids: reverse("staff:orders-bulk"), REASON | form)

    return build


ACTIONS = [
    build(label)
    for label, build in [
        ("adjust", _post("user-do", "@user", "adjust", direction="add", amount="9999")),
        ("restrict", _post("user-do", "@user", "restrict", level="login")),
        ("limit-api", _post("user-do", "@user", "limit-api", per_minute="0")),
        ("review", _post("user-do", "@user", "review")),
        ("own price", _post("user-do", "@user", "rate", service="{service}", kind="discount",
                            value="50")),
        ("lift restriction", _post("user-lift", "@user", "restriction", "@restriction")),
        ("lift api limit", _post("user-lift", "@user", "api-limit", "@api-limit")),
        ("close review", _post("user-lift", "@user", "review", "@review")),
        ("revoke key", _post("user-lift", "@user", "api-key", "@api-key")),
        ("remove own price", _post("user-lift", "@user", "rate", "@rate")),
        ("queue restrict", _post("user-action", "@user", "restrict", level="login")),
        ("queue review", _post("user-action", "@user", "review")),
        ("queue limit-api", _post("user-action", "@user", "limit-api", per_minute="0")),
        ("queue lift restriction", _post("lift", "restriction", "@restriction")),
        ("queue close review", _post("lift", "review", "@review")),
        ("queue lift api limit", _post("lift", "api-limit", "@api-limit")),
        ("queue revoke key", _post("lift", "api-key", "@api-key")),
        ("approve", _post("order-action", "@held", "approve")),
        ("reject", _post("order-action", "@held", "reject")),
        ("cancel", _post("order-action", "@pending", "cancel")),
        ("partial", _post("order-action", "@running", "partial", remains="1")),
        ("resend", _post("order-action", "@failed", "resend")),
        ("start count", _post("order-action", "@running", "start-count", start_count="7")),
        ("complete", _post("order-action", "@running", "complete")),
        ("cancel at provider", _post("order-action", "@running", "cancel-upstream")),
        ("refill at provider", _post("order-action", "@completed", "refill-upstream")),
        ("close refill completed", _post("refill-action", "@refill", "completed")),
        ("close refill rejected", _post("refill-action", "@refill", "rejected")),
        ("bulk cancel", _bulk("cancel", "pending")),
        ("bulk complete", _bulk("complete", "pending")),
        ("bulk start count", _bulk("start-count", "pending", "123")),
        ("bulk partial", _bulk("partial", "running", "1")),
        ("bulk resend", _bulk("resend", "failed")),
        ("confirm deposit", _post("deposit-action", "@deposit", "confirm")),
        ("reject deposit", _post("deposit-action", "@deposit", "reject")),
        ("chargeback", _post("chargeback", "@user", amount="5", memo="bank case")),
    ]
]  # fmt: skip
# Staff pages that name an account or its things but only show them.
READ_ONLY = {"user", "view-as", "order"}


def holdings_of(user: User) -> dict[str, int]:
    """Everything of ``user`` a staff page acts on, each in the state its action needs.
    Written by the system (no actor), so owners' and staff's own accounts get them too."""
    deposit(user, to_micros("100"), memo="test deposit")
    service = make_service()
    policy.add_deny_entry("term", "rankscam", actor=None, reason="held for the test")
    comments = make_service(type="custom comments", min_quantity=1, max_quantity=100)
    held = make_order(user, comments, comments="a rankscam\nok")
    assert held.status == OrderStatus.REVIEW
    pending, running, failed = (make_order(user, service) for _ in range(3))
    transition(running, OrderStatus.IN_PROGRESS)
    transition(failed, OrderStatus.FAIL)
    refill = request_refill(user, complete_order(make_order(user, service)).pk)
    completed = complete_order(make_order(user, service))
    rate = price_actions.staff_set_custom_rate(
        user, service, actor=None, reason="own price", rate_micros=to_micros("0.5")
    )
    return {
        "user": user.pk,
        "service": service.pk,
        "held": held.pk,
        "pending": pending.pk,
        "running": running.pk,
        "failed": failed.pk,
        "refill": refill.pk,
        "completed": completed.pk,
        "rate": rate.pk,
        "api-key": issue_api_key(user, "rank test").api_key.pk,
        "deposit": request_deposit(user, "manual", "10").pk,
        "restriction": policy.restrict(user, "ordering", reason="test", actor=None).pk,
        "api-limit": policy.limit_api(user, 10, reason="test", actor=None).pk,
        "review": policy.open_balance_review(user, reason="test", actor=None).pk,
    }


def _request(action: Action, ids: dict[str, int]) -> tuple[str, dict[str, str]]:
    """The action's URL and form for the target's holdings ``ids`` ("{name}" → its id)."""

    def fill(text: str) -> str:
        return re.sub(r"\{([\w-]+)\}", lambda m: str(ids[m.group(1)]), text)

    return action.url(ids), {fill(k): fill(v) for k, v in action.form.items()}


def _staff_member(role: str) -> User:
    member = make_staff(role)
    return member


def _target(actor: User, kind: str) -> User:
    if kind == "self":
        return actor
    if kind == "same role":
        return _staff_member(actor.staff_role)
    if kind == "other staff role":
        other = {User.StaffRole.SUPPORT: User.StaffRole.MODERATOR}.get(
            actor.staff_role, User.StaffRole.SUPPORT
        )
        return _staff_member(other)
    if kind == "owner":
        return _staff_member(User.StaffRole.OWNER)
    return make_user()


SUPPORT, MODERATOR, OWNER = (User.StaffRole.SUPPORT, User.StaffRole.MODERATOR, User.StaffRole.OWNER)
REFUSED = [
    (SUPPORT, "self"), (SUPPORT, "same role"), (SUPPORT, "other staff role"), (SUPPORT, "owner"),
    (MODERATOR, "self"), (MODERATOR, "same role"), (MODERATOR, "other staff role"),
    (MODERATOR, "owner"),
    (OWNER, "self"),
]  # fmt: skip


def test_every_staff_action_on_an_account_is_tried():
    def names_an_account(route) -> bool:
        for kind, name in route.params():
            if kind == "int" and name in STAFF_ID_KINDS and STAFF_ID_KINDS[name] != "ticket":
                return True
            if name == "pk" and STAFF_PK_KINDS.get(route.name) in (KIND_SLUG, "deposit"):
                return True
        return route.name == "orders-bulk"

    acting = {r.name for r in staff_routes() if names_an_account(r)} - READ_ONLY
    assert acting == {a.route for a in ACTIONS}


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.label)
@pytest.mark.parametrize(("role", "target_kind"), REFUSED, ids=lambda v: str(v))
def test_staff_never_act_on_their_own_account_nor_one_of_equal_or_higher_rank(
    client, db, role, target_kind, action
):
    actor = _staff_member(role)
    target = _target(actor, target_kind)
    url, form = _request(action, holdings_of(target))
    client.force_login(actor)
    before = database_state()

    response = client.post(url, form)

    assert_unchanged(before, f"{action.label} by {role} on {target_kind}")
    if action.route == "orders-bulk":  # each order's refusal is told on the list
        assert response.status_code == 302
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.label)
@pytest.mark.parametrize("target_kind", ["customer", "owner"])
def test_an_owner_acts_on_customers_and_on_other_owners(client, db, target_kind, action):
    actor = _staff_member(OWNER)
    target = _target(actor, target_kind)
    url, form = _request(action, holdings_of(target))
    client.force_login(actor)
    before = database_state()

    response = client.post(url, form)

    assert response.status_code == 302
    changed = [label for label, rows in database_state().items() if before.get(label) != rows]
    assert changed, f"{action.label} by an owner on a {target_kind} wrote nothing"


@pytest.mark.parametrize("role", [SUPPORT, MODERATOR])
def test_support_and_moderators_still_act_on_customers(client, db, role):
    actor = _staff_member(role)
    customer = make_user()
    ids = holdings_of(customer)
    client.force_login(actor)
    url, form = _request(next(a for a in ACTIONS if a.label == "restrict"), ids)
    before = database_state()

    assert client.post(url, form).status_code == 302
    assert before["policy.Restriction"] != database_state()["policy.Restriction"]


def test_support_sees_why_the_owners_account_offers_no_actions(client, db):
    owner = _staff_member(OWNER)
    client.force_login(_staff_member(SUPPORT))

    page = client.get(reverse("staff:user", args=[owner.pk])).content.decode()

    assert "Only another owner may act on the account of" in page
    assert reverse("staff:user-do", args=[owner.pk, "restrict"]) not in page
    assert reverse("staff:user-do", args=[owner.pk, "adjust"]) not in page
