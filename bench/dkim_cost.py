"""What DKIM signing costs per message: unsigned vs RSA 2048 vs Ed25519 vs both, one run.

    .venv/bin/python bench/dkim_cost.py                  # ~1 min
    .venv/bin/python bench/dkim_cost.py --messages 500 --rounds 1

A throwaway app (temporary SQLite, its own embedded Redis) publishes one incident
notice, renders it as the fan-out does (:func:`render_notice`, once), and makes
``--messages`` personal copies (each subscriber's To, Message-ID and links), in four
modes interleaved ``--rounds`` times: unsigned, signed with an RSA 2048 key, with an
Ed25519 key, and with both (RFC 8463 dual signing). Keys are generated and enabled with
the DKIM service; signing is the product's own :class:`~statusmail.mail.signing.Signer`.

Two figures per mode, as ratios against unsigned from the same round:

- **compose**: personal copy + signature, nothing sent (the CPU cost alone);
- **send**: the same, pushed with the product's ``SmtpTransport`` over one connection to
  an SMTP sink on loopback (postfix ``smtp-sink`` if installed, else aiosmtpd's Sink).

One message per mode is verified with dkimpy against the record the DKIM page shows, so
the bench never times signatures that would not verify. JSON goes to bench/results.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from fanout_throughput import prepare_environment  # noqa: E402
from harness import smtp_sink  # noqa: E402

MODES = ("unsigned", "rsa", "ed25519", "rsa+ed25519")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sink", choices=("auto", "smtp-sink", "aiosmtpd"), default="auto")
    parser.add_argument("--json", default=os.path.join(ROOT, "bench", "results"))
    return parser.parse_args()


def make_world():
    """An app with one published notice and one enabled key of each algorithm."""
    import logging

    from statusmail import create_app
    from statusmail.extensions import db
    from statusmail.fanout import publish_event
    from statusmail.models import Incident, IncidentUpdate, SiteSettings
    from statusmail.services.dkim_keys import enable_key, generate_key
    app = create_app({"RATELIMIT_ENABLED": False})
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        db.create_all()
        settings = SiteSettings.get()
        settings.notifications_enabled = True
        settings.from_address, settings.from_name = "status@example.com", "Example Status"
        db.session.commit()
        incident = Incident(title="Checkout is failing", impact="major", status="investigating")
        update = IncidentUpdate(incident=incident, status="investigating",
                                message="Payments time out for some customers. " * 8)
        db.session.add_all([incident, update])
        db.session.flush()
        notification_id = publish_event("incident_created", incident=incident,
                                        incident_update=update).id
        keys = {"rsa": generate_key("example.com", "bench-rsa", "rsa"),
                "ed25519": generate_key("example.com", "bench-ed", "ed25519")}
        for key in keys.values():
            enable_key(key)
    return app, notification_id


def signers():
    """The product's signer for each mode (None: unsigned)."""
    from statusmail.mail.signing import Signer, enabled_signer
    both = enabled_signer()
    by_algorithm = {key.algorithm: key for key in both.keys}
    return {"unsigned": None, "rsa": Signer([by_algorithm["rsa"]]),
            "ed25519": Signer([by_algorithm["ed25519"]]), "rsa+ed25519": both}


def copies(notice, notification_id, count, offset):
    for index in range(offset, offset + count):
        values = notice.values_for(notification_id=notification_id, delivery_id=index,
                                   subscriber_id=index, email=f"user{index}@example.org",
                                   link_key="k" * 22)
        yield notice.personalize(values)


def compose_rate(notice, notification_id, signer, count, offset):
    started = time.perf_counter()
    for _, raw in copies(notice, notification_id, count, offset):
        if signer is not None:
            raw = signer.sign(raw)
    return count / (time.perf_counter() - started)


def send_rate(notice, notification_id, signer, count, offset, port):
    from statusmail.mail.smtp import SmtpTransport
    transport = SmtpTransport(host="127.0.0.1", port=port, security="none", username=None,
                              password=None, timeout=10, unverified_host=None,
                              helo_domain="example.com")
    transport.signer = signer
    with transport:
        started = time.perf_counter()
        for envelope, raw in copies(notice, notification_id, count, offset):
            transport.send(envelope, raw)
        return count / (time.perf_counter() - started)


def check_signatures(notice, notification_id, modes):
    """Every signed mode's output verifies against the records the page would show."""
    import dkim

    from statusmail.models import DkimKey
    from statusmail.services.dkim_dns import dkim_record
    records = {}
    for key in DkimKey.query.all():
        record = dkim_record(key)
        records[record.name] = "".join(record.strings).encode()
    envelope, raw = next(copies(notice, notification_id, 1, 10**6))
    for mode, signer in modes.items():
        if signer is None:
            continue
        signed = signer.sign(raw)
        for index in range(len(signer.keys)):
            ok = dkim.DKIM(signed).verify(idx=index, dnsfunc=lambda name, timeout=5:
                                          records.get(name.decode().rstrip(".")))
            if not ok:
                raise SystemExit(f"bench: {mode} signature {index} does not verify")
    return len(raw)


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="statusmail-dkim-bench-") as workdir:
        prepare_environment(workdir)
        app, notification_id = make_world()
        with app.app_context(), app.test_request_context(), smtp_sink(args.sink) as sink:
            from statusmail.extensions import db
            from statusmail.fanout.notices import render_notice
            from statusmail.models import Notification, SiteSettings
            notice = render_notice(db.session.get(Notification, notification_id),
                                   SiteSettings.get())
            modes = signers()
            size = check_signatures(notice, notification_id, modes)
            sink_name, port, _ = sink
            print(f"{args.messages:,} personal copies of a {size:,}-byte notice per mode "
                  f"and round, {args.rounds} rounds; sink: {sink_name}", flush=True)
            rates = {mode: {"compose": [], "send": []} for mode in MODES}
            offset = 0
            for round_number in range(args.rounds):
                for mode in MODES:
                    rates[mode]["compose"].append(compose_rate(
                        notice, notification_id, modes[mode], args.messages, offset))
                    offset += args.messages
                    rates[mode]["send"].append(send_rate(
                        notice, notification_id, modes[mode], args.messages, offset, port))
                    offset += args.messages
                print(f"round {round_number + 1} done", flush=True)
        app.extensions["redis"].close()
    report(args, rates, size, sink_name)


def report(args, rates, size, sink_name):
    medians = {mode: {what: statistics.median(values) for what, values in figures.items()}
               for mode, figures in rates.items()}
    base = medians["unsigned"]
    print(f"\n{'mode':<13}{'compose msg/s':>15}{'vs unsigned':>13}{'send msg/s':>13}"
          f"{'vs unsigned':>13}{'ms/msg added':>14}")
    for mode in MODES:
        m = medians[mode]
        added = 1000 / m["compose"] - 1000 / base["compose"]
        print(f"{mode:<13}{m['compose']:>15,.0f}{m['compose'] / base['compose']:>12.3f}x"
              f"{m['send']:>13,.0f}{m['send'] / base['send']:>12.3f}x{added:>14.2f}")
    os.makedirs(args.json, exist_ok=True)
    path = os.path.join(args.json, "dkim_cost.json")
    with open(path, "w") as fh:
        json.dump({"messages": args.messages, "rounds": args.rounds, "message_bytes": size,
                   "sink": sink_name, "rates": rates, "medians": medians,
                   "ratios_vs_unsigned": {mode: {what: medians[mode][what] / base[what]
                                                 for what in base} for mode in MODES}},
                  fh, indent=2)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
