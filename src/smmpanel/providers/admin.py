from django.contrib import admin

from smmpanel.providers.models import Provider, RefillSubmission, ServiceRoute, Submission


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "api_url", "api_key_last4", "active", "balance_micros", "last_sync_at"]
    exclude = ["api_key_sealed"]
    # A provider is added and its address changed only on the staff provider page, which
    # checks the address (SSRF) and records who did it; the private-network exception
    # is for the built-in simulator and set only by code.
    readonly_fields = [
        "api_url",
        "allow_private",
        "api_key_last4",
        "breaker_failures",
        "breaker_open_until",
        "calls",
        "failed_calls",
        "last_sync_at",
        "services_synced_at",
        "last_latency_ms",
        "avg_latency_ms",
        "last_error",
        "refused_values",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ServiceRoute)
class ServiceRouteAdmin(admin.ModelAdmin):
    list_display = ["service", "provider", "provider_service_id", "cost_micros", "priority"]
    list_filter = ["provider", "active"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["order", "run", "state", "provider", "provider_order_id", "remote_status"]
    list_filter = ["state", "provider"]
    search_fields = ["order__id", "provider_order_id"]


admin.site.register(RefillSubmission)
