"""Times are stored in UTC and shown in the operator's zone, always with the zone named."""
from datetime import timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def operator_zone():
    from .request_settings import current_settings
    return zone_or_utc(current_settings().timezone)


def zone_or_utc(name):
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_valid_zone(name):
    return name in available_timezones()


def to_local(value, zone):
    """Naive UTC → aware local time."""
    return value.replace(tzinfo=timezone.utc).astimezone(zone)


def to_utc(value, zone):
    """Naive local time in ``zone`` → naive UTC (what the database stores)."""
    return value.replace(tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)


def format_local(value, fmt="%Y-%m-%d %H:%M %Z", zone=None):
    if value is None:
        return ""
    return to_local(value, zone or operator_zone()).strftime(fmt)
