"""The date range and grouping of the staff reports."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smmpanel.billing.reports import MAX_BUCKETS, ReportRange

DEFAULT_DAYS = 30


class ReportRangeForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period = forms.ChoiceField(
        label=_("Group by"),
        required=False,
        choices=[("day", _("Day")), ("week", _("Week")), ("month", _("Month"))],
    )

    def clean(self):
        data = super().clean()
        start, end = self.default_bounds()
        start = data.get("start") or start
        end = data.get("end") or end
        try:
            data["range"] = ReportRange(start, end, data.get("period") or "day")
        except ValueError:
            raise forms.ValidationError(
                _(
                    "Choose an end on or after the start, and at most %(n)s periods "
                    "(group by week or month for a long range)."
                )
                % {"n": MAX_BUCKETS}
            ) from None
        return data

    @staticmethod
    def default_bounds() -> tuple[date, date]:
        """The last ``DEFAULT_DAYS`` days, today included."""
        today = timezone.localdate()
        return today - timedelta(days=DEFAULT_DAYS - 1), today

    def report_range(self) -> ReportRange:
        """The chosen range, or the default one when the input is invalid."""
        if self.is_valid():
            return self.cleaned_data["range"]
        return ReportRange(*self.default_bounds(), "day")
