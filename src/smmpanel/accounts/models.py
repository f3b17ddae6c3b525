from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields |= {
            "is_staff": True,
            "is_superuser": True,
            "role": User.Role.STAFF,
            "staff_role": User.StaffRole.OWNER,
        }
        return self._create(email, password, **fields)


class User(AbstractUser):
    """A person who logs in with email and password: customer, reseller or staff."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        RESELLER = "reseller", _("Reseller")
        STAFF = "staff", _("Staff")

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)

    class StaffRole(models.TextChoices):
        OWNER = "owner", _("Owner")
        SUPPORT = "support", _("Support agent")
        MODERATOR = "moderator", _("Moderator")

    staff_role = models.CharField(
        max_length=16, choices=StaffRole.choices, blank=True, help_text=_("for staff accounts")
    )
    language = models.CharField(max_length=8, default="en")
    timezone = models.CharField(max_length=64, default="UTC")
    # Set with every restriction or API limitation, cleared when the last one is lifted:
    # the per-request policy checks read those tables only for accounts that have one.
    policy_limited = models.BooleanField(default=False, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.email


class ApiKey(models.Model):
    """A named API key. Only a keyed hash is stored; the plaintext is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    last4 = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.masked})"

    @property
    def masked(self) -> str:
        return f"{self.prefix}…{self.last4}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
