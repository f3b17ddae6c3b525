"""A small known dataset for the reports: six orders placed through the real services,
moved to fixed dates, settled (completed, partial, canceled) and given provider costs.

    order  user  service  placed      charge  ends as             refund  provider cost
    o1     u1    A 1.00   2025-03-03  1.00    Completed           —       P 0.60
    o2     u1    B 2.00   2025-03-03  2.00    Partial (250/1000)  0.50    P 1.10
    o3     u2    A 1.00   2025-03-04  2.00    Canceled            2.00    P refused
    o4     u1    B 2.00   2025-03-04  1.00    In progress         —       Q 0.40
    o5     u1    B 2.00   2025-03-12  6.00    Completed           —       Q 3.30
    o6     u2    A 1.00   2025-04-02  1.00    Pending             —       —

March by day: 03-03 charged 3.00 refunded 0.50 revenue 2.50 cost 1.70 profit 0.80;
03-04 3.00 / 2.00 / 1.00 / 0.40 / 0.60; 03-12 6.00 / 0 / 6.00 / 3.30 / 2.70.
March total: 12.00 / 2.50 / 9.50 / 5.40 / 4.10. Provider P: 10 calls, 1 failed.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from smmpanel.billing.reports import ReportRange
from smmpanel.catalog.models import Service
from smmpanel.money import to_micros
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.services import cancel_and_refund, complete_order, refund_remains
from smmpanel.orders.state import transition
from smmpanel.providers.models import Provider, Submission, SubmissionState
from smmpanel.providers.secrets import seal
from tests.factories import make_order, make_service, make_user

MARCH = ReportRange(date(2025, 3, 1), date(2025, 3, 31), "day")


@dataclass
class Dataset:
    a: Service
    b: Service
    p: Provider
    q: Provider
    users: list
    orders: list[Order]


def _provider(name: str, calls: int = 0, failed: int = 0) -> Provider:
    return Provider.objects.create(
        name=name,
        api_url=f"https://{name.lower()}.example/api/v2",
        api_key_sealed=seal("k"),
        api_key_last4="k",
        calls=calls,
        failed_calls=failed,
    )


def _placed(
    user,
    service,
    quantity: int,
    day: date,
    provider=None,
    cost: str | None = None,
    state: str = SubmissionState.ACTIVE,
) -> Order:
    order = make_order(user, service, quantity=quantity)
    moment = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)
    Order.objects.filter(pk=order.pk).update(created_at=moment)
    if provider is not None:
        Submission.objects.filter(order=order).update(
            provider=provider,
            state=state,
            provider_charge_micros=to_micros(cost) if cost is not None else None,
        )
    order.refresh_from_db()
    return order


def build() -> Dataset:
    a = make_service(name="Service A", rate_micros=to_micros("1.00"))
    b = make_service(name="Service B", rate_micros=to_micros("2.00"))
    p, q = _provider("P", calls=10, failed=1), _provider("Q")
    u1, u2 = make_user("100"), make_user("100")
    o1 = _placed(u1, a, 1000, date(2025, 3, 3), p, "0.60")
    o2 = _placed(u1, b, 1000, date(2025, 3, 3), p, "1.10")
    o3 = _placed(u2, a, 2000, date(2025, 3, 4), p, None, SubmissionState.REFUSED)
    o4 = _placed(u1, b, 500, date(2025, 3, 4), q, "0.40")
    o5 = _placed(u1, b, 3000, date(2025, 3, 12), q, "3.30")
    o6 = _placed(u2, a, 1000, date(2025, 4, 2))
    complete_order(o1)
    refund_remains(o2, 250)
    cancel_and_refund(o3)
    transition(o4, OrderStatus.IN_PROGRESS)
    complete_order(o5)
    return Dataset(a, b, p, q, [u1, u2], [o1, o2, o3, o4, o5, o6])
