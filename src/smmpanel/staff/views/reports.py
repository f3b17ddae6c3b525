"""Staff reports: every report on one page, each also alone and as CSV
(``?format=csv``). Thin views over ``staff.reports``."""

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render

from smmpanel.staff.forms.reports import ReportRangeForm
from smmpanel.staff.permissions import REPORTS, staff_required
from smmpanel.staff.reports import REPORTS as BUILDERS
from smmpanel.staff.reports import Report, build_report


def _range_form(request) -> ReportRangeForm:
    data = {k: request.GET[k] for k in ("start", "end", "period") if k in request.GET}
    return ReportRangeForm(data or None)


@staff_required(REPORTS)
def reports(request):
    form = _range_form(request)
    rng = form.report_range()
    return render(
        request,
        "staff/reports/index.html",
        {
            "form": form,
            "rng": rng,
            "reports": [build(rng) for build in BUILDERS.values()],
            "query": _query(rng),
        },
    )


@staff_required(REPORTS)
def report(request, slug: str):
    form = _range_form(request)
    rng = form.report_range()
    built = build_report(slug, rng)
    if built is None:
        raise Http404("no such report")
    if request.GET.get("format") == "csv":
        return _csv(built)
    return render(
        request,
        "staff/reports/report.html",
        {"form": form, "rng": rng, "report": built, "query": _query(rng)},
    )


def _query(rng) -> str:
    return f"start={rng.start.isoformat()}&end={rng.end.isoformat()}&period={rng.period}"


def _csv(built: Report) -> HttpResponse:
    name = f"{built.slug}-{built.rng.start.isoformat()}-{built.rng.end.isoformat()}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    csv.writer(response).writerows(built.csv_rows())
    return response
