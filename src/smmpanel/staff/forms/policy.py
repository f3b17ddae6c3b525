import json

from django import forms
from django.utils.translation import gettext_lazy as _

from smmpanel.policy.models import DenyEntry, Outcome, Restriction


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.TextInput)


class RestrictForm(ReasonForm):
    level = forms.ChoiceField(label=_("Level"), choices=Restriction.Level.choices)
    expires_at = forms.DateTimeField(label=_("Expires (UTC, optional)"), required=False)


class ApiLimitForm(ReasonForm):
    per_minute = forms.IntegerField(label=_("Requests per minute (0 = no API)"), min_value=0)
    minutes = forms.IntegerField(
        label=_("For minutes (empty = until lifted)"), required=False, min_value=1
    )


class PartialForm(ReasonForm):
    remains = forms.IntegerField(label=_("Remains (undelivered)"), min_value=1)


class RuleForm(forms.Form):
    enabled = forms.BooleanField(label=_("Enabled"), required=False)
    shadow = forms.BooleanField(label=_("Shadow mode (record, do not enforce)"), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    thresholds = forms.CharField(
        label=_("Thresholds (JSON)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    message_en = forms.CharField(
        label=_("Message (English)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    message_uk = forms.CharField(
        label=_("Message (Ukrainian)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=1000)

    def clean_thresholds(self):
        try:
            value = json.loads(self.cleaned_data["thresholds"] or "{}")
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(e)s") % {"e": exc}) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Thresholds must be a JSON object"))
        return value


class DenyEntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DenyEntry.Kind.choices)
    value = forms.CharField(label=_("Value"), max_length=500)
    reason = forms.CharField(label=_("Reason"), max_length=255)
