"""The two baselines statusmail's fan-out is measured against, in the same run and sink.

- The **naive loop**: what an app without a fan-out engine does, one Flask-Mail
  ``Message`` and ``mail.send`` per subscriber (a new SMTP connection each time).
- The **raw ceiling**: what the sink and the machine allow at all, pre-rendered ~2 KB
  messages pushed with ``smtplib.sendmail`` over one connection per process, by
  ``RAW_PROCESSES`` (2) processes at once. No database, no rendering, no bookkeeping:
  nothing statusmail could do per message is left in it.
"""
import multiprocessing
import smtplib
import time

from harness import cpu_seconds

RAW_PROCESSES = 2


def notice_messages(app, notification_id, limit):
    """``(recipients, raw messages)`` of the first ``limit`` subscribers, as statusmail
    renders them for this notice (the same bytes the workers send)."""
    from sqlalchemy import select

    from statusmail.extensions import db
    from statusmail.fanout.notices import render_notice
    from statusmail.models import Notification, SiteSettings, Subscriber

    with app.app_context():
        notice = render_notice(db.session.get(Notification, notification_id), SiteSettings.get())
        query = select(Subscriber.id, Subscriber.email, Subscriber.link_key).order_by(Subscriber.id)
        rows = db.session.execute(query.limit(limit) if limit else query).all()
        personal = []
        for number, (subscriber_id, email, link_key) in enumerate(rows):
            values = notice.values_for(notification_id=notification_id, delivery_id=number,
                                       subscriber_id=subscriber_id, email=email, link_key=link_key)
            personal.append((values, notice.personalize(values)))
    return notice, personal


def measure_naive(app, notice, personal):
    """One Flask-Mail message and ``mail.send`` per subscriber. It is handed the rendered
    notice for free (personal links by string replacement), so the ratio errs in its favour.
    """
    from statusmail.extensions import mail

    with app.app_context():
        started = time.perf_counter()
        for values, _ in personal:
            mail.send(notice.personalize(values, whole_message=True)[0])
        seconds = time.perf_counter() - started
    return {"messages": len(personal), "seconds": seconds}


def _push(port, sender, messages, barrier, results):
    """One process of the raw ceiling: connect, wait for the others, send, report."""
    smtp = smtplib.SMTP("127.0.0.1", port, timeout=30)
    smtp.ehlo()
    barrier.wait()
    started, cpu = time.time(), time.process_time()
    for recipient, raw in messages:
        smtp.sendmail(sender, [recipient], raw)
    finished, cpu = time.time(), time.process_time() - cpu
    smtp.quit()
    results.put((started, finished, len(messages), cpu))


def measure_raw_ceiling(port, sender, personal, sink_pid, processes=RAW_PROCESSES):
    """``processes`` processes share ``personal`` (pre-rendered); wall time from the
    first one's first message to the last one's last, and CPU time per message of the
    senders and of the sink."""
    messages = [(message.recipients[0], raw) for _, (message, raw) in personal]
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(processes), context.Queue()
    children = [context.Process(target=_push, args=(port, sender, messages[i::processes],
                                                    barrier, results))
                for i in range(processes)]
    sink_cpu = cpu_seconds(sink_pid)
    for child in children:
        child.start()
    reports = [results.get(timeout=300) for _ in children]
    sink_cpu = cpu_seconds(sink_pid) - sink_cpu
    for child in children:
        child.join(30)
        if child.exitcode != 0:
            raise SystemExit(f"bench: a raw-ceiling process exited with {child.exitcode}")
    started, finished = min(r[0] for r in reports), max(r[1] for r in reports)
    count = sum(r[2] for r in reports)
    return {"messages": count, "seconds": finished - started,
            "sender_cpu_us_per_message": sum(r[3] for r in reports) / count * 1e6,
            "sink_cpu_us_per_message": sink_cpu / count * 1e6,
            "processes": processes,
            "message_bytes": sum(len(raw) for _, raw in messages) / len(messages)}
