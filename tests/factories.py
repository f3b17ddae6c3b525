"""Small factories for test data. Each returns a saved object with sensible defaults."""

import itertools

from smmpanel.accounts.models import User
from smmpanel.accounts.services import create_user, issue_api_key
from smmpanel.billing.services import deposit
from smmpanel.catalog.models import Service
from smmpanel.catalog.services import create_service, get_or_create_category
from smmpanel.money import to_micros

_seq = itertools.count(1)


def make_user(
    balance: str = "0", *, role: str = User.Role.CUSTOMER, password: str = "pw-Test-12345"
) -> User:
    user = create_user(f"user{next(_seq)}@example.com", password, role=role)
    if to_micros(balance):
        deposit(user, to_micros(balance), memo="test deposit")
    user.refresh_from_db()
    return user


def make_key(user: User) -> str:
    return issue_api_key(user, "test").plaintext


def make_service(**fields) -> Service:
    defaults = dict(
        name=f"Instagram Likes {next(_seq)}",
        type="default",
        rate_micros=to_micros("0.90"),
        min_quantity=50,
        max_quantity=10000,
        refill=True,
        refill_days=30,
        cancel=True,
        link_format="instagram_post",
    )
    defaults.update(fields)
    platform = defaults.pop("platform", "Instagram")
    return create_service(get_or_create_category(platform, "Likes"), **defaults)


def post_link(n: int | None = None) -> str:
    return f"https://www.instagram.com/p/Post{n if n is not None else next(_seq)}/"


def make_order(user: User, service: Service, link: str | None = None, **data):
    """Place a paid order through the real ``place_order`` (quantity 100 unless given)."""
    from smmpanel.orders.services import place_order

    fields = {"link": link or post_link()}
    if service.service_type.quantity_from.value == "quantity":
        fields["quantity"] = 100
    fields.update(data)
    return place_order(user, service, fields)


def make_staff(role: str) -> User:
    """A staff member with one role (owner, support, moderator), not a superuser."""
    user = make_user(role=User.Role.STAFF)
    User.objects.filter(pk=user.pk).update(staff_role=role, is_superuser=False)
    user.refresh_from_db()
    return user


def page_fields(slug: str) -> dict:
    """A valid staff page form's values (``content.services.save_page``)."""
    return {
        "slug": slug,
        "title_en": "FAQ",
        "title_uk": "Питання",
        "description_en": "About",
        "description_uk": "Про",
        "body_en": "**Yes**",
        "body_uk": "**Так**",
        "published": True,
        "in_footer": True,
        "position": 1,
    }
