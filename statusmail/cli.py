"""Commands: ``flask --app wsgi create-admin|apply-mail-env|rotate-encryption-key|
backfill-deliverability|worker|scheduler``."""
import logging
import secrets
import time

import click
import redis
from flask import current_app
from flask.cli import with_appcontext

from .extensions import db
from .models import AdminUser
from .queues import get_queue, redis_connection
from .services.delivery_settings import note_mail_environment
from .services.security.accounts import set_admin_password
from .services import audit

log = logging.getLogger(__name__)
WORKER_TTL = 45


@click.command("create-admin")
@click.argument("email")
@click.option("--password", help="Set this password instead of being prompted.")
@click.option("--generate", is_flag=True, help="Generate a password and print it.")
@with_appcontext
def create_admin(email, password, generate):
    """Create an owner account (or reset the password of an existing admin, who keeps
    their role)."""
    from .services.validation import normalize_email, InvalidEmail
    try:
        email = normalize_email(email, check_deliverability=False)
    except InvalidEmail as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL")
    if generate:
        password = secrets.token_urlsafe(12)
    elif not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")
    user = AdminUser.query.filter_by(email=email).one_or_none()
    created = user is None
    if created:
        user = AdminUser(email=email, role="owner")
        db.session.add(user)
    # Ends the admin's sessions and clears the sign-in counters of the account: whoever
    # runs this is its owner, locked out or not.
    set_admin_password(user, password)
    audit.record("password_set_by_cli",
                 f"{'Created' if created else 'Set the password of'} admin {email}",
                 admin_user_id=user.id, email=email, created=created)
    click.echo(f"{'Created' if created else 'Updated'} admin {email} ({user.role}).")
    if generate:
        click.echo(f"Password: {password}")


@click.command("apply-mail-env")
@with_appcontext
def apply_mail_env():
    """Say whose delivery settings are in force; a change gives a paused provider a new try.

    The environment's (STATUSMAIL_SMTP_URL / STATUSMAIL_SENDGRID_API_KEY and the sender)
    are laid over the admin's at use time, never copied over them.
    """
    fields = current_app.config["MAIL_ENVIRONMENT"]
    changed = note_mail_environment(fields)
    if fields:
        click.echo("Delivery settings come from the environment"
                   + (" (changed since the last start)." if changed else ".")
                   + " The ones saved in Email settings are kept for when it sets none.")
    else:
        click.echo("No delivery settings in the environment; Email settings in the admin decide"
                   + (" again." if changed else "."))


@click.command("rotate-encryption-key")
@with_appcontext
def rotate_encryption_key():
    """Re-encrypt every stored secret with the first key of STATUSMAIL_ENCRYPTION_KEY."""
    from .services.key_rotation import rotate_stored_secrets
    report = rotate_stored_secrets()
    click.echo(f"Re-encrypted {report.reencrypted} stored secret"
               f"{'' if report.reencrypted == 1 else 's'} with the first key "
               f"({report.already_current} already used it).")
    if report.unreadable:
        raise click.ClickException(
            f"{report.unreadable} stored secret(s) cannot be decrypted with any configured key: "
            "keep the old key in STATUSMAIL_ENCRYPTION_KEY, or enter those secrets again in "
            "Email settings.")


@click.command("backfill-deliverability")
@with_appcontext
def backfill_deliverability():
    """Fill the deliverability dashboard's days before counting began from the stored rows.

    Only days before the first counted day are filled (that day may be partial: changes
    made on it before the upgrade were not counted); a second run fills nothing.
    """
    from .services.deliverability.backfill import backfill
    report = backfill()
    if not report.days and not report.notices:
        click.echo(f"Nothing to fill: counting began on {report.first_counted.isoformat()} "
                   "and no stored row is older.")
        return
    click.echo(f"Filled {report.days} day{'' if report.days == 1 else 's'} before "
               f"{report.first_counted.isoformat()}"
               + (f" (from {report.first_day.isoformat()})" if report.first_day else "") + ":")
    for metric, total in report.totals.items():
        days = report.days_per_metric[metric]
        click.echo(f"  {metric:<13} {total:>12,} on {days:,} day{'' if days == 1 else 's'}")
    click.echo(f"Bounces and complaints of {report.notices:,} notice"
               f"{'' if report.notices == 1 else 's'} that had none counted.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@click.option("--name", default=None, help="Worker name shown in the dashboard.")
@click.option("--ttl", default=WORKER_TTL, show_default=True, type=click.IntRange(min=16),
              help="Seconds the worker's registration lives; an idle worker heartbeats "
                   "every ttl - 15 s.")
@with_appcontext
def worker(burst, name, ttl):
    """Run an RQ worker for the mail queues inside the app context."""
    from . import QUEUE_NAMES
    from .jobs.fanout import prepare_worker
    from .worker import MailWorker
    # Workers are what send: one started after a change of the environment's delivery
    # settings (and no release step) gives a paused provider its new try.
    if note_mail_environment(current_app.config["MAIL_ENVIRONMENT"]):
        log.info("Delivery settings changed in the environment since the last start.")
    prepare_worker()
    while True:
        try:
            queues = [get_queue(queue_name) for queue_name in QUEUE_NAMES]
            # A short TTL makes idle workers heartbeat every ~30 s, so the admin's
            # worker-health indicator notices a dead one quickly.
            MailWorker(queues, connection=redis_connection(), name=name,
                       worker_ttl=ttl).work(burst=burst, logging_level="INFO")
            return
        except redis.ConnectionError as exc:
            if burst:
                raise
            # Redis restarted: wait for it instead of dying (the sweeper re-queues lost work).
            log.warning("Redis unavailable (%s); worker retrying in 2 s.", exc)
            time.sleep(2)


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run one tick and exit.")
@with_appcontext
def scheduler(once):
    """Sweep stuck work, start and complete maintenance, prune old rows."""
    from .services.scheduler import run_forever, tick
    if once:
        tick()
    else:
        run_forever(current_app.config.get("SCHEDULER_INTERVAL", 5))


def register(app):
    for command in (create_admin, apply_mail_env, rotate_encryption_key, backfill_deliverability,
                    worker, scheduler):
        app.cli.add_command(command)
