"""The staff reports: each one a table (and a chart of the same numbers) built from the
apps' report selectors (``billing.reports``, ``orders.reports``, ``providers.selectors``),
which aggregate in the database. The same table renders as HTML and as CSV."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from smmpanel.billing import reports as billing
from smmpanel.billing.reports import ReportRange
from smmpanel.money import format_amount
from smmpanel.orders import reports as orders
from smmpanel.providers import selectors as providers
from smmpanel.providers.selectors import percent
from smmpanel.staff.charts import Chart, bar_chart, line_chart

# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CENT = 10_000  # micros: the finest step of a money axis


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header: stable across languages
    label: str
    kind: str = "text"  # text, int, money, percent or period


@dataclass
class Report:
    slug: str
    title: str
    columns: list[Column]
    rows: list[dict[str, object]]
    rng: ReportRange
    chart: Chart | None = None
    total: dict[str, object] | None = None  # a last row summing the others
    notes: list[str] = field(default_factory=list)

    def display_rows(self) -> list[list[str]]:
        """Rows (and the total) as the HTML table shows them."""
        return [[self._show(c, row.get(c.key)) for c in self.columns] for row in self._all()]

    def csv_rows(self) -> list[list[str]]:
        """A header of column keys, then the rows (and the total) as plain values."""
        body = [[self._plain(c, row.get(c.key)) for c in self.columns] for row in self._all()]
        return [[c.key for c in self.columns], *body]

    def _all(self) -> list[dict[str, object]]:
        return [*self.rows, *([self.total] if self.total else [])]

    def _show(self, column: Column, value: object) -> str:
        if value is None:
            return "—"
        if column.kind == "period" and isinstance(value, date):
            return period_label(value, self.rng.period)
        if column.kind == "percent":
            return f"{value} %"
        return self._plain(column, value)

    @staticmethod
    def _plain(column: Column, value: object) -> str:
        if value is None:
            return ""
        if column.kind == "money":
            return format_amount(int(value))
        if isinstance(value, date):
            return value.isoformat()
        text = str(value)
        if column.kind == "text" and text.startswith(_FORMULA_START):
            return "'" + text
        return text


def period_label(start: date, period: str) -> str:
    """How a period is named: ``2025-03-07``, ``week of 2025-03-03``, ``2025-03``."""
    if period == "month":
        return start.strftime("%Y-%m")
    if period == "week":
        return _("week of %(date)s") % {"date": start.isoformat()}
    return start.isoformat()


def _money(value: int | float) -> str:
    """Money for an axis: rounded to a cent."""
    return format_amount(int(round(value / 10_000)) * 10_000)


def _count(value: int | float) -> str:
    return str(int(round(value)))


def _pct(value: int | float) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.1'))} %"


def _total(rows: list[dict], first: str, keys: list[str]) -> dict[str, object]:
    return {first: _("Total"), **{k: sum(r[k] for r in rows) for k in keys}}


def profit_report(rng: ReportRange) -> Report:
    """Revenue (charges − refunds), provider cost and profit per period."""
    revenue = billing.revenue_by_period(rng)
    cost = providers.provider_cost_by_period(rng)
    bases = providers.provider_cost_bases(rng)
    rows = []
    for bucket in rng.buckets():
        r = revenue.get(bucket, billing.Revenue())
        c = cost.get(bucket, 0)
        rows.append(
            {
                "period": bucket,
                "charged": r.charged,
                "refunded": r.refunded,
                "revenue": r.net,
                "provider_cost": c,
                "profit": r.net - c,
            }
        )
    labels = [period_label(r["period"], rng.period) for r in rows]
    chart = line_chart(
        _("Revenue, provider cost and profit"),
        labels,
        [
            (_("Revenue"), [r["revenue"] for r in rows]),
            (_("Provider cost"), [r["provider_cost"] for r in rows]),
            (_("Profit"), [r["profit"] for r in rows]),
        ],
        _money,
        CENT,
    )
    return Report(
        slug="profit",
        title=_("Revenue, cost and profit"),
        columns=[
            Column("period", _("Period"), "period"),
            Column("charged", _("Charged"), "money"),
            Column("refunded", _("Refunded"), "money"),
            Column("revenue", _("Revenue"), "money"),
            Column("provider_cost", _("Provider cost"), "money"),
            Column("profit", _("Profit"), "money"),
        ],
        rows=rows,
        rng=rng,
        chart=chart,
        total=_total(rows, "period", ["charged", "refunded", "revenue", "provider_cost", "profit"]),
        notes=[
            _(
                "Orders count in the period they were placed; a later refund lowers the "
                "revenue of that period."
            ),
            *_cost_basis_notes(bases),
        ],
    )


def _cost_basis_notes(bases: providers.CostBases) -> list[str]:
    """Say how the provider cost of the runs that ended was worked out, so a figure
    staff compare with the provider's statement can be traced."""
    notes = [
        _(
            "Provider cost of the runs that ended — at the charge the provider reported: "
            "%(reported)s; pro rata to what was delivered (charge × delivered / quantity, "
            "when the provider reported no lower charge for a Partial or Canceled run): "
            "%(pro_rata)s. Runs still going count at the charge reported so far."
        )
        % {"reported": bases.reported, "pro_rata": bases.pro_rata}
    ]
    if bases.unworked:
        notes.append(
            _(
                "Runs that ended without a worked-out cost (closed by staff, or ended "
                "before costs were worked out), at the last charge the provider "
                "reported: %(count)s."
            )
            % {"count": bases.unworked}
        )
    return notes


def status_report(rng: ReportRange) -> Report:
    """Orders placed in the range, by their status now."""
    rows = [
        {"status": s.label, "orders": s.orders, "charged": s.charged}
        for s in orders.orders_by_status(rng)
    ]
    return Report(
        slug="statuses",
        title=_("Orders by status"),
        columns=[
            Column("status", _("Status")),
            Column("orders", _("Orders"), "int"),
            Column("charged", _("Charged"), "money"),
        ],
        rows=rows,
        rng=rng,
        chart=bar_chart(
            _("Orders by status"),
            [r["status"] for r in rows],
            [r["orders"] for r in rows],
            _count,
            1,
        ),
        total=_total(rows, "status", ["orders", "charged"]),
    )


def services_report(rng: ReportRange) -> Report:
    """The ten services that earned most."""
    rows = [
        {
            "service_id": s.service_id,
            "service": s.name,
            "orders": s.orders,
            "charged": s.charged,
            "refunded": s.refunded,
            "revenue": s.net,
        }
        for s in orders.top_services(rng)
    ]
    return Report(
        slug="services",
        title=_("Top services"),
        columns=[
            Column("service_id", _("ID"), "int"),
            Column("service", _("Service")),
            Column("orders", _("Orders"), "int"),
            Column("charged", _("Charged"), "money"),
            Column("refunded", _("Refunded"), "money"),
            Column("revenue", _("Revenue"), "money"),
        ],
        rows=rows,
        rng=rng,
        chart=bar_chart(
            _("Revenue by service"),
            [f"{r['service_id']} {r['service']}" for r in rows],
            [r["revenue"] for r in rows],
            _money,
            CENT,
        ),
    )


def users_report(rng: ReportRange) -> Report:
    """The ten customers who spent most."""
    rows = [
        {
            "user_id": u.user_id,
            "email": u.email,
            "orders": u.orders,
            "charged": u.charged,
            "refunded": u.refunded,
            "spent": u.net,
        }
        for u in billing.top_users(rng)
    ]
    return Report(
        slug="users",
        title=_("Top customers"),
        columns=[
            Column("user_id", _("ID"), "int"),
            Column("email", _("Email")),
            Column("orders", _("Orders"), "int"),
            Column("charged", _("Charged"), "money"),
            Column("refunded", _("Refunded"), "money"),
            Column("spent", _("Spent"), "money"),
        ],
        rows=rows,
        rng=rng,
        chart=bar_chart(
            _("Spending by customer"),
            [r["email"] for r in rows],
            [r["spent"] for r in rows],
            _money,
            CENT,
        ),
    )


def refunds_report(rng: ReportRange) -> Report:
    """Refund rate per period: refunded money as a share of charged money, and refunded
    orders as a share of orders."""
    revenue = billing.revenue_by_period(rng)
    rows = []
    for bucket in rng.buckets():
        r = revenue.get(bucket, billing.Revenue())
        rows.append(
            {
                "period": bucket,
                "orders": r.orders,
                "refunded_orders": r.refunded_orders,
                "order_refund_rate": percent(r.refunded_orders, r.orders),
                "charged": r.charged,
                "refunded": r.refunded,
                "refund_rate": percent(r.refunded, r.charged),
            }
        )
    summary = billing.refund_summary(rng)
    total = {
        "period": _("Total"),
        "orders": summary.orders,
        "refunded_orders": summary.refunded_orders,
        "order_refund_rate": percent(summary.refunded_orders, summary.orders),
        "charged": summary.charged,
        "refunded": summary.refunded,
        "refund_rate": percent(summary.refunded, summary.charged),
    }
    labels = [period_label(r["period"], rng.period) for r in rows]
    return Report(
        slug="refunds",
        title=_("Refund rate"),
        columns=[
            Column("period", _("Period"), "period"),
            Column("orders", _("Orders"), "int"),
            Column("refunded_orders", _("Refunded orders"), "int"),
            Column("order_refund_rate", _("Orders refunded, %"), "percent"),
            Column("charged", _("Charged"), "money"),
            Column("refunded", _("Refunded"), "money"),
            Column("refund_rate", _("Money refunded, %"), "percent"),
        ],
        rows=rows,
        rng=rng,
        chart=line_chart(
            _("Money refunded, %"),
            labels,
            [(_("Money refunded, %"), [float(r["refund_rate"] or 0) for r in rows])],
            _pct,
            0.1,
        ),
        total=total,
    )


def providers_report(rng: ReportRange) -> Report:
    """Provider error rates: failed calls (all time) and refused orders (in the range)."""
    rows = [
        {
            "provider": p.name,
            "calls": p.calls,
            "failed_calls": p.failed_calls,
            "call_error_rate": p.call_error_rate,
            "submissions": p.submissions,
            "refused": p.refused,
            "unknown": p.unknown,
            "refusal_rate": p.refusal_rate,
        }
        for p in providers.provider_errors(rng)
    ]
    return Report(
        slug="providers",
        title=_("Provider error rate"),
        columns=[
            Column("provider", _("Provider")),
            Column("calls", _("Calls (all time)"), "int"),
            Column("failed_calls", _("Failed calls"), "int"),
            Column("call_error_rate", _("Call error rate, %"), "percent"),
            Column("submissions", _("Orders sent"), "int"),
            Column("refused", _("Refused"), "int"),
            Column("unknown", _("Outcome unknown"), "int"),
            Column("refusal_rate", _("Refusal rate, %"), "percent"),
        ],
        rows=rows,
        rng=rng,
        chart=bar_chart(
            _("Call error rate, %"),
            [r["provider"] for r in rows],
            [float(r["call_error_rate"] or 0) for r in rows],
            _pct,
            0.1,
        ),
    )


REPORTS: dict[str, Callable[[ReportRange], Report]] = {
    "profit": profit_report,
    "statuses": status_report,
    "services": services_report,
    "users": users_report,
    "refunds": refunds_report,
    "providers": providers_report,
}


def build_report(slug: str, rng: ReportRange) -> Report | None:
    """The report called ``slug`` over ``rng``, or None for an unknown name."""
    builder = REPORTS.get(slug)
    return builder(rng) if builder else None
