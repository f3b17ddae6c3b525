"""API v2 ``status`` of a subscription order: its state as PerfectPanel reports it
(Active, Paused, Completed, Expired, Canceled), in the single and the multi answer."""

from smmpanel.money import to_micros
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.services import complete_order, refund_remains
from smmpanel.orders.state import transition
from tests.factories import make_service


def _subscribe(api, key, expiry: str) -> Order:
    service = make_service(
        type="subscriptions", rate_micros=to_micros("1.00"), link_format="instagram_profile"
    )
    answer = api(
        key, "add", service=service.pk, username="natgeo", min=100, max=200, posts=5, expiry=expiry
    )
    return Order.objects.get(pk=answer["order"])


def test_a_running_subscription_is_active_then_paused_while_held(api, api_customer):
    _, key = api_customer
    order = _subscribe(api, key, "31/12/2099")
    answer = api(key, "status", order=order.pk)
    assert answer["status"] == "Active" and answer["remains"] == "1000"
    assert set(answer) == {"charge", "start_count", "status", "remains", "currency"}
    transition(order, OrderStatus.REVIEW)
    assert api(key, "status", order=order.pk)["status"] == "Paused"


def test_a_subscription_ended_short_after_its_expiry_is_expired(api, api_customer):
    _, key = api_customer
    order = _subscribe(api, key, "01/01/2020")
    transition(order, OrderStatus.IN_PROGRESS)
    refund_remains(order, 300)
    multi = api(key, "status", orders=f"{order.pk}")
    assert multi[str(order.pk)]["status"] == "Expired"


def test_a_completed_subscription_and_a_plain_order_keep_their_names(api, api_customer, service):
    _, key = api_customer
    order = _subscribe(api, key, "31/12/2099")
    complete_order(order)
    plain = api(
        key, "add", service=service.pk, link="https://www.instagram.com/p/Plain1/", quantity=100
    )
    multi = api(key, "status", orders=f"{order.pk},{plain['order']}")
    assert multi[str(order.pk)]["status"] == "Completed"
    assert multi[str(plain["order"])]["status"] == "Pending"
