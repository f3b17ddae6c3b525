from django.contrib import admin

from smmpanel.support.models import CannedReply


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "created_at")
    search_fields = ("title",)
