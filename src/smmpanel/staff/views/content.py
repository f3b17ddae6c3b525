"""Staff content pages: announcements and pages (FAQ, custom pages). Writes go through
``content.services``, which audit them."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from smmpanel.content import selectors, services
from smmpanel.staff.forms.content import AnnouncementForm, PageForm
from smmpanel.staff.permissions import CONTENT, staff_required

TEXT_FIELDS = ("title_en", "title_uk", "body_en", "body_uk")


def _text(form: AnnouncementForm) -> services.AnnouncementText:
    return services.AnnouncementText(**{k: form.cleaned_data[k] for k in TEXT_FIELDS})


@staff_required(CONTENT)
def announcements(request):
    """Published announcements, newest first, and the form to publish one."""
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.publish_announcement(_text(form), actor=request.user)
        except ValueError:
            form.add_error(None, _("Write the title and the text in both languages."))
        else:
            messages.success(request, _("Announcement published."))
            return redirect("staff:announcements")
    return render(
        request,
        "staff/content/announcements.html",
        {"form": form, "items": selectors.staff_announcements()},
    )


@staff_required(CONTENT)
def announcement_edit(request, pk: int):
    item = selectors.announcement(pk)
    if item is None:
        raise Http404("No such announcement")
    initial = {k: getattr(item, k) for k in TEXT_FIELDS}
    form = AnnouncementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_announcement(item, _text(form), actor=request.user)
        except ValueError:
            form.add_error(None, _("Write the title and the text in both languages."))
        else:
            messages.success(request, _("Announcement saved."))
            return redirect("staff:announcements")
    return render(request, "staff/content/announcement_edit.html", {"form": form, "item": item})


@staff_required(CONTENT)
def pages(request):
    """Every page (published or not) and the form to add one."""
    form = PageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.save_page(None, form.cleaned_data, actor=request.user)
        messages.success(request, _("Page saved."))
        return redirect("staff:pages")
    return render(
        request, "staff/content/pages.html", {"form": form, "pages": selectors.staff_pages()}
    )


@staff_required(CONTENT)
def page_edit(request, pk: int):
    page = selectors.page_by_pk(pk)
    if page is None:
        raise Http404("No such page")
    form = PageForm(request.POST or None, instance=page)
    if request.method == "POST" and form.is_valid():
        services.save_page(page, form.cleaned_data, actor=request.user)
        messages.success(request, _("Page saved."))
        return redirect("staff:pages")
    return render(request, "staff/content/page_edit.html", {"form": form, "page": page})
