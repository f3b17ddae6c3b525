"""Access control (issue 7) of the Django admin: every admin route with an object id
(change, delete, history… of each registered model) refuses customers and anonymous
visitors: nothing of the object shown, nothing written. A superuser control shows the
hostile POST is a write when it is allowed."""

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from tests.security.access import (
    HOSTILE_FORM,
    MARK,
    BackOffice,
    assert_refused,
    database_state,
)
from tests.security.url_patterns import Route, routes

# -- the Django admin -----------------------------------------------------------------

ADMIN_SHORTCUT = "view_on_site"  # admin/r/<content_type_id>/<object_id>/: any model's row
NEW_PASSWORD = "Stolen-Pass-98765"
# Besides each change form's own fields (read from the page as a superuser sees it): the
# delete confirmation and the password form, so any admin view has what it needs to write.
ADMIN_FORM = HOSTILE_FORM | {
    "post": "yes",
    "password1": NEW_PASSWORD,
    "password2": NEW_PASSWORD,
    "usable_password": "true",
}


def admin_id_routes() -> list[Route]:
    """Every admin URL with a path parameter: an object's change, delete, history,
    password pages… of each registered model."""
    return [r for r in routes() if r.namespace == "admin" and r.params()]


def admin_model_of(route: Route) -> str | None:
    """The label of the registered model whose URLs ``route`` is one of."""
    for model in admin.site._registry:
        if route.route.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model._meta.label
    return None


class _FormFields(HTMLParser):
    """What a browser sends from the admin's change form (``<form id="…_form">``)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._in_form = False
        self._textarea: str | None = None
        self._select: dict | None = None

    def _add(self, name: str, value: str):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._in_form = (a.get("id") or "").endswith("_form")
        elif not self._in_form or "disabled" in a:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._add(a["name"], a.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._add(self._textarea, "")
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "first": None, "chosen": False}
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in a:
                self._select["chosen"] = True
                self._add(self._select["name"], value)

    def handle_data(self, data):
        if self._textarea is not None:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            if self._textarea is not None:  # the newline after <textarea> is not the value's
                self.data[self._textarea][-1] = self.data[self._textarea][-1].removeprefix("\n")
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if not self._select["chosen"] and self._select["first"] is not None:
                self._add(self._select["name"], self._select["first"])
            self._select = None


def admin_change_form(obj, superuser) -> dict[str, list[str]]:
    """The object's admin change form as a superuser's browser would send it back: a
    valid change (at least a new line in the admin's log) if the sender may make it."""
    browser = Client()
    browser.force_login(superuser)
    opts = obj._meta
    page = browser.get(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/")
    assert page.status_code == 200, f"a superuser cannot open {opts.label} {obj.pk}"
    parser = _FormFields()
    parser.feed(page.content.decode())
    assert parser.data, f"no change form on the admin page of {opts.label}"
    return parser.data


def admin_urls(route: Route, office: BackOffice) -> list[tuple[str, object]]:
    """``route``'s URL for the real object(s) it can name, with the object."""
    if route.name == ADMIN_SHORTCUT:
        return [
            (route.url(content_type_id=ContentType.objects.get_for_model(o).pk, object_id=o.pk), o)
            for o in office.admin_objects.values()
        ]
    obj = office.admin_objects[admin_model_of(route)]
    return [(route.url(**{name: obj.pk for _, name in route.params()}), obj)]


def traces(obj) -> set[str]:
    """What of the object a page that showed it would contain: the mark, and each of its
    text values long enough not to turn up by chance (an email, a hash, a name)."""
    fields = obj._meta.concrete_fields
    texts = {
        str(getattr(obj, f.attname)) for f in fields if isinstance(getattr(obj, f.attname), str)
    }
    return {MARK} | {t for t in texts if len(t) >= 8}


def test_every_admin_url_with_an_id_belongs_to_a_registered_model():
    unmapped = [
        r.route for r in admin_id_routes() if r.name != ADMIN_SHORTCUT and not admin_model_of(r)
    ]
    assert not unmapped, f"admin URLs naming no registered model: {unmapped}"
    kinds = {r.route.rsplit(">/", 1)[-1] for r in admin_id_routes()}
    assert {"change/", "delete/", "history/"} <= kinds


def test_the_back_office_has_a_row_of_every_model_the_admin_shows(back_office):
    registered = {model._meta.label for model in admin.site._registry}
    missing = sorted(registered - set(back_office.admin_objects))
    assert not missing, f"add a row of these models to back_office.admin_objects: {missing}"


@pytest.mark.parametrize(
    "route", [r for r in admin_id_routes() if r.route.endswith("/change/")], ids=lambda r: r.name
)
def test_the_admin_change_form_sent_below_is_a_write_when_a_superuser_sends_it(
    client, back_office, route
):
    """The control for the two tests after it: their POST is no empty gesture."""
    ((url, obj),) = admin_urls(route, back_office)
    form = admin_change_form(obj, back_office.superuser)
    client.force_login(back_office.superuser)
    before = database_state()

    response = client.post(url, {**ADMIN_FORM, **form})

    assert response.status_code == 302, f"{url}: {response.content.decode()[:2000]}"
    assert database_state() != before


def _refuses_an_admin_page(client, route: Route, office: BackOffice, who: str):
    for url, obj in admin_urls(route, office):
        hostile = ADMIN_FORM | admin_change_form(obj, office.superuser)
        assert_refused(client, url, hostile, who, login="/admin/login/", hidden=traces(obj))


@pytest.mark.parametrize("route", admin_id_routes(), ids=lambda r: r.name or r.route)
def test_an_anonymous_visitor_never_opens_an_object_in_the_admin(client, back_office, route):
    _refuses_an_admin_page(client, route, back_office, "an anonymous visitor")


@pytest.mark.parametrize("route", admin_id_routes(), ids=lambda r: r.name or r.route)
def test_a_customer_never_opens_an_object_in_the_admin(client, back_office, attacker, route):
    client.force_login(attacker)
    _refuses_an_admin_page(client, route, back_office, "a customer")
