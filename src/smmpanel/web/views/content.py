"""News (announcements with an unread mark) and the pages staff write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smmpanel.content import selectors
from smmpanel.content.services import mark_news_read
from smmpanel.numbers import whole_number


@login_required
def news(request: HttpRequest) -> HttpResponse:
    """The latest announcements, the unread ones marked, and a button to mark them read."""
    items = selectors.latest_news(request.user, 50)
    return render(
        request,
        "web/news/list.html",
        {
            "items": items,
            "unread_news": sum(item.unread for item in items),
            "newest": items[0].pk if items else 0,
        },
    )


@login_required
@require_POST
def news_read(request: HttpRequest) -> HttpResponse:
    """Mark the news read up to the newest the page showed (a later one stays unread)."""
    up_to = whole_number(request.POST.get("up_to"))
    if up_to:
        mark_news_read(request.user, min(up_to, selectors.newest_announcement_id()))
        messages.success(request, _("News marked as read."))
    return redirect("web:news")


def page(request: HttpRequest, slug: str) -> HttpResponse:
    """A page staff wrote (FAQ, delivery terms…), public, in the reader's language."""
    shown = selectors.published_page(slug)
    if shown is None:
        raise Http404("No such page")
    return render(request, "web/page.html", {"page": shown})
