from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    ALLOW = "allow", _("Allow")
    REVIEW = "review", _("Hold for review")
    REJECT = "reject", _("Reject")
    LIMIT = "limit", _("Limit API")
    RESTRICT = "restrict", _("Restrict account")


# Most severe first: the engine enforces the worst outcome among the rules that hit.
SEVERITY = [Outcome.RESTRICT, Outcome.LIMIT, Outcome.REJECT, Outcome.REVIEW, Outcome.ALLOW]


class Rule(models.Model):
    """A rule's switch, mode, thresholds and messages: staff change these without a deploy.

    The condition itself is code in ``policy/rulebook.py`` keyed by ``code``; every
    change bumps ``version`` so a decision can be replayed against the rule it met.
    """

    code = models.CharField(max_length=64, unique=True)
    enabled = models.BooleanField(default=True)
    shadow = models.BooleanField(default=False, help_text=_("record hits without enforcing"))
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    thresholds = models.JSONField(default=dict, blank=True)
    message_en = models.TextField()
    message_uk = models.TextField()
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class DenyEntry(models.Model):
    """An operator-managed block: a domain, a URL (prefix) or a keyword in links, or a
    term screened in comments and mention lists."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", _("Domain")
        URL = "url", _("URL prefix")
        KEYWORD = "keyword", _("Keyword in link")
        TERM = "term", _("Term in comments/usernames")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=500)
    reason = models.CharField(max_length=255, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name_plural = "deny entries"
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="deny_unique")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


class KnownTarget(models.Model):
    """A target known not to be public (reported by a provider, support or an operator
    hook). The panel never checks this by visiting the platform."""

    class State(models.TextChoices):
        PRIVATE = "private", _("Private")
        RESTRICTED = "restricted", _("Restricted")
        DELETED = "deleted", _("Deleted")

    canonical_link = models.CharField(max_length=2000)
    link_key = models.CharField(max_length=40, unique=True)
    state = models.CharField(max_length=12, choices=State.choices)
    source = models.CharField(max_length=100, blank=True)
    noted_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.canonical_link}: {self.state}"


class Restriction(models.Model):
    """An account (or one API key) limited by staff or by a rule, with reason and expiry."""

    class Level(models.TextChoices):
        ORDERING = "ordering", _("Ordering blocked")
        API = "api", _("API blocked")
        LOGIN = "login", _("Login blocked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="restrictions"
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(max_length=10, choices=Level.choices)
    reason = models.TextField()
    rule_code = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "lifted_at"], name="restriction_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.level}"


class ApiLimit(models.Model):
    """A lower API rate for an account or a key (0 per minute = no API)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_limits"
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    per_minute = models.PositiveIntegerField()
    reason = models.TextField()
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.per_minute}/min"


class BalanceReview(models.Model):
    """While open, the account's balance is frozen: no spending, credits held."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="balance_reviews"
    )
    reason = models.TextField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    close_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"review of {self.user_id}"


class RateBucket(models.Model):
    """GCRA state for one rate limit key, shared by every process through the database."""

    key = models.CharField(max_length=100, primary_key=True)
    tat = models.FloatField(help_text=_("theoretical arrival time, unix seconds"))

    def __str__(self) -> str:
        return self.key


class KeySighting(models.Model):
    """An address an API key was used from, to notice keys used from everywhere."""

    api_key = models.ForeignKey("accounts.ApiKey", on_delete=models.CASCADE, related_name="+")
    ip = models.GenericIPAddressField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "ip"], name="sighting_unique")]
        indexes = [models.Index(fields=["api_key", "last_seen"], name="sighting_recent")]

    def __str__(self) -> str:
        return f"{self.api_key_id} from {self.ip}"
