"""A mass order as the policy sees it: one request, however many lines it has.

``abuse.invalid_orders`` counts refused order requests to tell a careless or abusive
customer from one who made a mistake. Counting a mass order line by line would make a
customer who pastes 50 lines with a few typos (or a few private or mistyped links) look
like one who sent that many bad requests, and escalate them to an API limitation or a
restriction for one request. So, for a mass order:

- each line is decided by the same order rules as a single order (``check``) but its
  refusal is not recorded on its own: every line a single order would have recorded as
  refused (bad input, a rule's refusal, a second active order for a link) is listed in
  one ``order.invalid`` decision for the whole mass order (``close``), which staff see
  in the audit log and ``abuse.invalid_orders`` counts once, as one web form refusal
  (a quarter, ``refusal_history``); lines that cannot be read as an order, or name no
  service, are listed too;
- as nothing is recorded mid-way, every line is decided against the count as it stood
  when the mass order arrived: one refused line never makes the next one "invalid";
- lines refused because the account is paused for earlier refusals
  (``abuse.invalid_orders`` itself) are that rule's decision, recorded once and never
  counted, so a mass order sent while paused does not extend the pause; an escalation
  the count already called for (API limitation, restriction) is applied once, as a
  single order at that count would apply it;
- a refusal for the account's state (restriction, balance review) is recorded once,
  as a single order's would be, and, like a single order's, never counted.
"""

from smmpanel.policy import decision_points, engine, rulebook
from smmpanel.policy.models import SEVERITY, Outcome
from smmpanel.policy.refusal_history import ACCOUNT_STATE_RULES, INVALID_ORDERS_RULE

# Each listed reason is cut to this, so a 500-line mass order stays a readable record.
LISTED_REASON_CHARS = 200
ESCALATIONS = (Outcome.LIMIT, Outcome.RESTRICT)


class MassOrderCheck:
    """The policy's side of one mass order: each line asks ``line(number)`` for its
    decisions, then ``close`` records the refusals and escalates, once."""

    def __init__(self, user, lines: int):
        self.user = user
        self.lines = lines
        self.refusals: list[dict] = []
        self._account_state: engine.Verdict | None = None
        self._paused: engine.Verdict | None = None
        self._escalation: engine.Verdict | None = None

    def line(self, number: int) -> "MassOrderLine":
        return MassOrderLine(self, number)

    def check(self, service, checked) -> engine.Verdict:
        """The order rules' verdict on one line, as ``decision_points.check_order`` gives it for a
        single order, but neither recorded nor escalated yet (see ``close``)."""
        return engine.evaluate(
            rulebook.ORDER_PLACE, decision_points.order_facts(self.user, service, checked)
        )

    def refused(
        self, number: int, service_id: int | None, refusal, verdict: engine.Verdict | None = None
    ) -> None:
        """Note line ``number`` refused where a single order's refusal would have been
        recorded: bad input (an unreadable line or unknown service too, ``service_id``
        None), a second active order, or a policy ``verdict``."""
        hit = verdict.deciding if verdict is not None else None
        if hit is not None and hit.code in ACCOUNT_STATE_RULES:
            self._account_state = self._account_state or verdict
            return
        if hit is not None and hit.code == INVALID_ORDERS_RULE:
            # Paused for earlier refusals: recorded once as the rule's own decision and
            # never counted again, so a mass order while paused does not extend the pause.
            self._paused = _worse(verdict, self._paused)
            return
        if verdict is not None and verdict.outcome in ESCALATIONS:
            self._escalation = _worse(verdict, self._escalation)
        self.refusals.append(
            {
                "line": number,
                "service": service_id,
                "field": refusal.field or "",
                "rule": refusal.rule or decision_points.VALIDATION_RULE,
                "reason": refusal.message[:LISTED_REASON_CHARS],
            }
        )

    def close(self) -> None:
        """Record the mass order's refusals (one counted decision at most) and apply the
        escalation its lines met, once."""
        if self._account_state is not None:
            engine.record(self._account_state, user=self.user)
        if self._paused is not None:
            engine.record(self._paused, user=self.user)
            self._escalation = _worse(self._paused, self._escalation)
        if self.refusals:
            decision_points.record_invalid_order(
                self.user,
                self._summary(),
                inputs={"mass_order": True, "lines": self.lines, "refused": self.refusals},
            )
        if self._escalation is not None and self._escalation.outcome in ESCALATIONS:
            # The gate's own escalation, so a mass order limits or restricts exactly as a
            # single order at the same count does (gates applies it for single orders).
            decision_points.escalate(self._escalation, self.user, None)

    def _summary(self) -> str:
        listed = "; ".join(f"line {r['line']}: {r['reason']}" for r in self.refusals)
        return f"mass order: {len(self.refusals)} of {self.lines} lines refused ({listed})"


def _worse(verdict: engine.Verdict, other: engine.Verdict | None) -> engine.Verdict:
    """The more severe of two verdicts (the first on a tie)."""
    if other is None or SEVERITY.index(verdict.outcome) <= SEVERITY.index(other.outcome):
        return verdict
    return other


class MassOrderLine:
    """One line of a mass order, deciding and reporting through its mass order (the
    same two calls ``orders.services`` makes for a single order)."""

    def __init__(self, mass_order: MassOrderCheck, number: int):
        self.mass_order = mass_order
        self.number = number

    def check(self, service, checked) -> engine.Verdict:
        return self.mass_order.check(service, checked)

    def refused(self, service_id: int, refusal, verdict: engine.Verdict | None = None) -> None:
        self.mass_order.refused(self.number, service_id, refusal, verdict)
