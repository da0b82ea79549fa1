"""Deliverability: mail and subscribers per day, bounces and complaints per notice."""
from flask import render_template, request

from ..services.deliverability import charts, dashboard
from ..services.keyset import cursor_args
from . import bp

NOTICES_PER_PAGE = 20
SENT, FAILED, BOUNCED, COMPLAINT = "#2563eb", "#9ca3af", "#b45309", "#b91c1c"
NEW, CONFIRMED, UNSUBSCRIBED, SUPPRESSED = "#60a5fa", "#15803d", "#6b7280", "#b91c1c"


def _span():
    """30 or 90 days; anything else reads as 30."""
    span = request.args.get("days", type=int)
    return span if span in dashboard.RANGES else dashboard.RANGES[0]


def _charts(days, span):
    labels = [day.label for day in days]

    def series(name, colour, values):
        return charts.Series(name, colour, tuple(values))

    return [
        charts.bar_chart(
            "mail-per-day", f"Mail per day, last {span} days",
            "Deliveries accepted by the mail server and deliveries that failed, per UTC day.",
            labels, [series("sent", SENT, (d.sent for d in days)),
                     series("failed", FAILED, (d.failed for d in days))]),
        charts.bar_chart(
            "rates-per-day", f"Bounce and complaint rates per day, last {span} days",
            "Bounces as a share of deliveries attempted and spam complaints as a share of "
            "mail sent, per UTC day; the dashed line is the 0.30 % complaint rate mailbox "
            "providers allow.",
            labels, [series("bounce rate", BOUNCED, (d.bounce_rate for d in days)),
                     series("complaint rate", COMPLAINT, (d.complaint_rate for d in days))],
            percent=True, limit=(dashboard.COMPLAINT_LIMIT, "0.30 % complaint limit")),
        charts.bar_chart(
            "subscribers-per-day", f"Subscribers per day, last {span} days",
            "Subscribers added, confirmed, unsubscribed and suppressed, per UTC day.",
            labels, [series("new", NEW, (d.new for d in days)),
                     series("confirmed", CONFIRMED, (d.confirmed for d in days)),
                     series("unsubscribed", UNSUBSCRIBED, (d.unsubscribed for d in days)),
                     series("suppressed", SUPPRESSED, (d.suppressed for d in days))]),
    ]


@bp.route("/deliverability")
def deliverability():
    span = _span()
    days = dashboard.days(span)  # at least the warnings' 30
    notices = dashboard.notices(NOTICES_PER_PAGE, *cursor_args())
    return render_template(
        "admin/deliverability.html", span=span, ranges=dashboard.RANGES, days=days,
        total=dashboard.totals(days), charts=_charts(days, span), notices=notices,
        warnings=dashboard.warnings(days, notices.items),
        counting_began=dashboard.counting_began(),
        bounce_warning=dashboard.BOUNCE_WARNING)
