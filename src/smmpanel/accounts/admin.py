from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from smmpanel.accounts.models import ApiKey, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "name", "role", "language", "timezone"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "password1", "password2", "role"]})]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "last4", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "prefix", "last4", "last_used_at", "last_used_ip"]
    search_fields = ["user__email", "name", "prefix"]
