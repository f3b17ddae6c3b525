"""Staff provider forms: the import form's list of provider service ids."""

from smmpanel.providers.forms import ImportForm, ProviderForm


def test_import_ids_may_be_separated_by_commas_spaces_or_lines():
    form = ImportForm({"markup_percent": "20", "only": "1, 2\n3  4;5"})
    assert form.is_valid() and form.cleaned_data["only"] == {"1", "2", "3", "4", "5"}


def test_no_import_ids_means_every_service():
    form = ImportForm({"markup_percent": "20", "only": "  "})
    assert form.is_valid() and form.cleaned_data["only"] is None


def test_a_new_provider_needs_a_key():
    form = ProviderForm({"name": "X", "api_url": "https://x.example/api/v2", "api_key": ""})
    assert "api_key" in form.errors


def test_the_key_field_never_renders_a_value():
    form = ProviderForm({"name": "X", "api_url": "u", "api_key": "s3cret-key"}, editing=True)
    assert "s3cret-key" not in str(form["api_key"])
