"""Shared parts of the browser journeys: the fulfilment stack (a provider simulator on
loopback plus a real ``smmpanel worker`` process), a helper that words expectations in
the page's language, and small page actions reused across test modules."""

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.utils import translation
from django.utils.functional import Promise

from smmpanel.catalog.models import Service
from smmpanel.providers.services import add_provider, route_unrouted_services
from smmpanel.providers.simulator.server import serve
from smmpanel.web.templatetags.money import money
from tests.browser.conftest import log_in
from tests.providers.worker_process import start_worker, stop_worker

PASSWORD = "pw-Test-12345"
SIM_KEY = "sim-key"
UK_CATALOG = Path(__file__).resolve().parents[2] / "src/smmpanel/locale/uk/LC_MESSAGES/django.mo"


def words_in(locale: str) -> Callable[[str | Promise], str]:
    """``tr(text)``: how the panel words ``text`` (a msgid or a lazy label) in ``locale``.

    The live server runs in this process, so this is the very catalog the page uses:
    without compiled project translations a Ukrainian page shows the English msgid and
    so does ``tr`` — expectations hold either way.
    """
    language = "uk" if locale.lower().startswith("uk") else "en"

    def tr(text: str | Promise) -> str:
        with translation.override(language):
            return translation.gettext(text) if isinstance(text, str) else str(text)

    return tr


def money_in(locale: str) -> Callable[[int], str]:
    """``shown(micros)``: an amount as the panel's pages show it in ``locale``
    (``49.20`` in English, ``49,20`` in Ukrainian), through the pages' own filter."""
    language = "uk" if locale.lower().startswith("uk") else "en"

    def shown(micros: int) -> str:
        with translation.override(language):
            return money(micros)

    return shown


@dataclass
class Fulfilment:
    """A simulator registered as a provider, a real worker, and where the worker logs."""

    simulator_url: str
    worker_log: Path

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.worker_log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no worker log)"


@contextmanager
def fulfilment(log_path: Path, **simulator_config) -> Iterator[Fulfilment]:
    """A fast simulator (every order completes in well under a second once started) and a
    worker process; both stopped on the way out, whatever happened."""
    config = dict(
        key=SIM_KEY,
        seed=5,
        start_delay=0.2,
        speed=1000,
        partial_rate=0,
        cancel_rate=0,
        refill_seconds=1,
        banner=False,
    )
    config.update(simulator_config)
    simulator = serve(**config)
    worker = None
    try:
        worker = start_worker(log_path)
        yield Fulfilment(simulator.url, log_path)
    finally:
        if worker is not None:
            stop_worker(worker)
        simulator.shutdown()


def route_to_simulator(url: str) -> int:
    """Register the simulator as a provider and route every unrouted service to it."""
    provider = add_provider("Simulator", url, SIM_KEY, allow_private=True)
    routed = route_unrouted_services(provider)
    assert routed >= 1, "the simulator offers nothing that fits the test services"
    return routed


def sign_up(page, email: str, password: str = PASSWORD) -> None:
    """Sign up through the real form. Element ids, not labels: allauth's own labels are
    translated by allauth's catalog, so ids are the language-independent handle."""
    page.goto("/signup/")
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(password)
    page.locator("#id_password2").fill(password)
    page.locator("#id_accept_terms").check()
    page.locator("main form[action$='/signup/'] button[type=submit]").click()
    page.wait_for_url(lambda url: "/signup/" not in url)


def enable_totp(user) -> str:
    """Give ``user`` a TOTP authenticator (staff pages require one); returns its secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    """The authenticator app's current code for ``secret``; a code about to expire is
    waited out (at most 3 s), as allauth allows no clock tolerance by default."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 3:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def log_in_with_totp(page, email: str, secret: str, password: str = PASSWORD) -> None:
    """Sign in, then answer allauth's two-factor step with the current TOTP code."""
    log_in(page, email, password)
    page.wait_for_url(re.compile(r"/2fa/authenticate/"))
    page.get_by_label("Code").fill(totp_code(secret))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/2fa/" not in url and "/login/" not in url)


def choose_service(page, tr, service: Service) -> None:
    """Pick ``service`` on the new-order page and wait for its order form (htmx swap):
    the form of this service, not one already on the page for another."""
    page.get_by_label(tr("Service"), exact=True).select_option(str(service.pk))
    page.locator(f"#order-form input[name=service][value='{service.pk}']").wait_for(
        state="attached"
    )
