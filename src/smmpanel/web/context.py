from django.conf import settings


def site(request):
    """Site name, currency and, for a signed-in customer, the notices about their
    account (restriction, balance review, API limitation) shown on every page."""
    context = {"SITE_NAME": settings.SITE_NAME, "CURRENCY": settings.CURRENCY}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from smmpanel.policy.selectors import notices_for

        context["account_notices"] = notices_for(user)
    return context
