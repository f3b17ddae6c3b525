"""``smmpanel addprovider NAME URL KEY``: add an upstream provider from a script.

The same checks as the staff page's (``providers.services.add_provider``: https only,
no private, loopback or metadata address, every address the host resolves to), with
``--allow-private`` for a simulator or a provider on a private network. Prints the new
provider's id alone, for the next command of a set-up script; a refusal is one line on
standard error and exit status 1. Recorded in the audit log as a system change (by
``providers.services.add_provider_from_console``).
"""

from django.core.management.base import BaseCommand, CommandError

from smmpanel.providers.forms import ProviderForm
from smmpanel.providers.services import ProviderNameTaken, add_provider_from_console
from smmpanel.providers.url_safety import UnsafeProviderUrl


class Command(BaseCommand):
    help = (
        "Add an upstream provider (API v2) and print its id. The URL must be public https "
        "unless --allow-private; import its services in the staff pages."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="a name of your choice, unique among providers")
        parser.add_argument("url", help="the provider's API v2 address, https://…/api/v2")
        parser.add_argument("key", help="your API key at the provider (stored sealed)")
        parser.add_argument(
            "--allow-private",
            action="store_true",
            help="also allow http and loopback or private addresses (a simulator, an "
            "internal provider); cloud metadata and link-local addresses stay refused",
        )

    def handle(self, name, url, key, allow_private, **options):
        # The staff page's form: the same lengths and required fields, the same words.
        form = ProviderForm({"name": name.strip(), "api_url": url.strip(), "api_key": key})
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise CommandError(f"{field}: {' '.join(errors)}")
        data = form.cleaned_data
        try:
            provider = add_provider_from_console(
                data["name"], data["api_url"], data["api_key"], allow_private=allow_private
            )
        except ProviderNameTaken as exc:
            raise CommandError(str(exc)) from None
        except UnsafeProviderUrl as exc:
            raise CommandError(f"url: {exc}") from None
        self.stdout.write(str(provider.pk))
