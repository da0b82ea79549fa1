"""What mailbox providers tell us about our mail, and what we do about it.

- :mod:`.signature` checks that an Event Webhook request is SendGrid's own: an ECDSA
  P-256 signature over the timestamp and the raw body, fresh within five minutes;
- :mod:`.webhook_key` keeps the verification key the owner pasted from SendGrid;
- :mod:`.sendgrid_events` reads the events, stores each once (by ``sg_event_id``) and
  suppresses what bounced, was blocked, reported as spam or unsubscribed at SendGrid;
- :mod:`.dashboard` reads the per-day and per-notice counters for the dashboard, and
  :mod:`.backfill` fills them for the days before the triggers began counting.

The suppression list itself is :mod:`statusmail.services.suppressions`.
"""
