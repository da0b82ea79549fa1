"""The fan-out benchmark's report: each figure beside its baselines, with the ratios."""
import json
import os
import statistics

CEILING_TARGET = 0.4  # statusmail's share of the raw ceiling (issue 9)
NAIVE_TARGET = 5.0  # statusmail against the naive loop


def rate(messages, seconds):
    return messages / seconds if seconds > 0 else float("inf")


def _derive(figures):
    """Rates and ratios, added to ``figures`` so that the JSON carries them too."""
    naive = figures["naive"]
    naive["rate"] = rate(naive["messages"], naive["seconds"])
    for run, ceiling in zip(figures["runs"], figures["raw_ceilings"]):
        ceiling["rate"] = rate(ceiling["messages"], ceiling["seconds"])
        run["rate"] = rate(run["messages"], run["seconds"])
        run["sending_rate"] = rate(run["messages"], run["sending_seconds"])
        run["x_naive"] = run["rate"] / naive["rate"]
        run["x_ceiling"] = run["rate"] / ceiling["rate"]
        run["sending_x_ceiling"] = run["sending_rate"] / ceiling["rate"]
        ceiling["cpu_us_per_message"] = (ceiling["sender_cpu_us_per_message"]
                                         + ceiling["sink_cpu_us_per_message"])
        run["cpu_us_per_message"] = (run["worker_cpu_us_per_message"]
                                     + run["sink_cpu_us_per_message"]
                                     + run["database_cpu_us_per_message"])
        # What the rates would be if the CPU were the only limit (a shared machine
        # disturbs CPU time far less than it disturbs msg/s).
        run["cpu_x_ceiling"] = ceiling["cpu_us_per_message"] / run["cpu_us_per_message"]
    figures["raw_ceiling_median"] = statistics.median(c["rate"] for c in figures["raw_ceilings"])


def report(figures):
    _derive(figures)
    naive, ceiling = figures["naive"], figures["raw_ceiling_median"]
    load = ", ".join(f"{value:.2f}" for value in figures["load_average"])
    lines = [
        f"statusmail fan-out benchmark: database {figures['database']}, sink {figures['sink']}, "
        f"{figures['cpus']} CPUs, load average at the end {load}",
        "",
        f"{'':46} {'msg/s':>7} {'x naive':>8} {'x raw':>7}",
        f"{'naive: Flask-Mail send, new connection each':46} {naive['rate']:7.0f} "
        f"{1:8.2f} {naive['rate'] / ceiling:7.2f}   ({naive['messages']:,} mails)",
        f"{'raw ceiling: smtplib, 2 processes (median)':46} {ceiling:7.0f} "
        f"{ceiling / naive['rate']:8.2f} {1:7.2f}   "
        f"({figures['raw_ceilings'][0]['messages']:,} mails of "
        f"{figures['raw_ceilings'][0]['message_bytes']:,.0f} bytes, after each fan-out)",
    ]
    for run, raw in zip(figures["runs"], figures["raw_ceilings"]):
        label = f"statusmail, {run['workers']} worker{'s' if run['workers'] > 1 else ''}"
        lines += [
            f"{label + ': publish -> last accepted':46} {run['rate']:7.0f} "
            f"{run['x_naive']:8.2f} {run['x_ceiling']:7.2f}   ({run['messages']:,} mails; "
            f"raw ceiling beside it {raw['rate']:.0f})",
            f"{'  sending only: first -> last accepted':46} {run['sending_rate']:7.0f} "
            f"{run['sending_rate'] / naive['rate']:8.2f} {run['sending_x_ceiling']:7.2f}   "
            f"(first mail after {run['first_latency']:.3f} s; peak RSS "
            f"{run['peak_rss_mb']:.1f} MB)",
            f"  CPU per mail: workers {run['worker_cpu_us_per_message']:.0f} us, database "
            f"{run['database_cpu_us_per_message']:.0f} us, sink "
            f"{run['sink_cpu_us_per_message']:.0f} us = {run['cpu_us_per_message']:.0f} us; "
            f"raw ceiling beside it {raw['sender_cpu_us_per_message']:.0f} + "
            f"{raw['sink_cpu_us_per_message']:.0f} = {raw['cpu_us_per_message']:.0f} us "
            f"-> {run['cpu_x_ceiling']:.2f}x",
        ]
    best = max(figures["runs"], key=lambda run: run["x_ceiling"])
    lines += ["", f"targets: >= {NAIVE_TARGET:g}x naive, >= {CEILING_TARGET:g}x raw ceiling; "
              f"best {best['workers']} workers: {best['x_naive']:.2f}x naive "
              f"({'met' if best['x_naive'] >= NAIVE_TARGET else 'NOT MET'}), "
              f"{best['x_ceiling']:.2f}x raw "
              f"({'met' if best['x_ceiling'] >= CEILING_TARGET else 'NOT MET'}); "
              f"by CPU per mail {best['cpu_x_ceiling']:.2f}x raw"]
    if figures["memory"]:
        small, large = figures["memory"]
        lines += ["", f"memory (peak RSS), {small['subscribers']:,} vs {large['subscribers']:,} "
                  f"subscribers; the workers send the first {large['sent_slice']:,} of each:"]
        for label, key in (("publisher: publish_event + the whole expansion", "publisher"),
                           ("worker (2 workers, the larger)", "worker")):
            a, b = small[f"{key}_peak_rss_mb"], large[f"{key}_peak_rss_mb"]
            lines.append(f"  {label:48} {a:7.1f} MB {b:7.1f} MB  {b / a:5.2f}x")
        lines.append(f"  expansion took {small['expand_seconds']:.1f} s and "
                     f"{large['expand_seconds']:.1f} s; the publish call "
                     f"{small['publish_seconds'] * 1000:.0f} ms and "
                     f"{large['publish_seconds'] * 1000:.0f} ms")
    print("\n".join(lines))


def write_json(directory, figures):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"fanout_throughput-{figures['database']}.json")
    with open(path, "w") as fh:
        json.dump(figures, fh, indent=2, default=str)
    return path
