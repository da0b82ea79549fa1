"""The deliverability dashboard in a real browser: charts drawn without JavaScript,
readable as text, their figures one click away as a table, the warning in view."""
from datetime import timedelta

import pytest
from sqlalchemy import insert

from statusmail.extensions import db
from statusmail.models import DailyCount, utcnow
from tests.support import web

pytestmark = pytest.mark.browser


def test_the_dashboard_reads_without_javascript(live_app, new_page):
    web.create_admin(live_app)
    with live_app.app_context():
        today = utcnow().date()
        db.session.execute(insert(DailyCount), [
            {"day": today - timedelta(days=1), "metric": "sent", "shard": 0, "total": 1000},
            {"day": today - timedelta(days=1), "metric": "complaint", "shard": 0, "total": 3},
            {"day": today, "metric": "new", "shard": 0, "total": 7},
        ])
        db.session.commit()
    page = new_page(java_script_enabled=False)
    page.goto(live_app.base_url + "/admin/login")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    with page.expect_navigation():
        page.get_by_role("link", name="Deliverability").first.click()

    assert "Spam complaints are 0.30%" in page.locator("[data-warning=complaints]").text_content()
    charts = page.get_by_role("img")
    assert charts.count() == 3
    for index in range(3):
        box = charts.nth(index).bounding_box()
        assert box["width"] > 300 and box["height"] > 80, box
    yesterday = (today - timedelta(days=1)).isoformat()
    mail = page.locator("#mail-per-day")
    assert mail.locator("rect title", has_text=f"{yesterday}: 1,000 sent").count() == 1
    table = mail.get_by_role("region")
    assert not table.is_visible()
    mail.locator("summary").click()
    assert table.is_visible()
    assert table.locator("tr", has_text=yesterday).locator("td").first.text_content() == "1,000"
    with page.expect_navigation():
        page.get_by_role("link", name="Last 90 days").click()
    assert page.locator("#mail-per-day figcaption").text_content() == "Mail per day, last 90 days"
