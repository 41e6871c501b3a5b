"""Service: durable submits/s, dispatch latency, watch fan-out (deliveries/s, p99) against a
real ptune-scheduler on loopback (ptune_scheduler_bench), WatchJob vs polling GetJob once per
watcher per event (how a REST events endpoint is used), and scheduler RSS vs queued jobs,
stored history and watchers."""
import json
import os

from common import BenchError, fmt, fmt_spread, log, run, summary
import svg


def _bench(ctx, binary, args, tag):
    out = os.path.join(ctx.work_dir, f"service-{tag}.json")
    store = os.path.join(ctx.work_dir, "stores")
    os.makedirs(store, exist_ok=True)
    argv = [binary, "--dir", store, "--json", out, *args]
    run(argv, timeout=900)
    with open(out) as f:
        phases = json.load(f)
    for name in os.listdir(store):  # the stores are big and not needed afterwards
        os.remove(os.path.join(store, name))
    if not phases:
        raise BenchError(f"{out}: no phases")
    return argv, phases


def run_area(ctx):
    binary = os.path.join(ctx.build_dir, "bench/server/ptune_scheduler_bench")
    if not os.path.isfile(binary):
        return {"skipped": f"{binary} is not built (an engine-only build?)"}
    small = ctx.smoke
    submits, dispatches = (300, 20) if small else (20000, 500)
    watchers, events = (5, 200) if small else (100, 3000)
    rate, rate_events = (200, 200) if small else (500, 2500)
    ladder = [2, 5] if small else [10, 30, 100]
    queue = "50,100" if small else "1000,5000,20000"
    history = "200,500" if small else "5000,20000,50000"
    commands, rows, raw = [], [], {"submit": [], "dispatch": [], "saturated": [], "rate": [], "ladder": []}

    # Submit and dispatch, repeated.
    for r in range(ctx.reps):
        log(f"service: submit + dispatch {r}")
        argv, phases = _bench(ctx, binary, ["--phases", "submit,dispatch", "--submits", str(submits),
                                            "--dispatches", str(dispatches)], f"sd{r}")
        commands += [" ".join(argv)] if r == 0 else []
        raw["submit"].append(phases[0])
        raw["dispatch"].append(phases[1])
    sub = summary([p["acks_per_s"] for p in raw["submit"]])
    p99 = summary([p["p99_ms"] for p in raw["dispatch"]])
    p50 = summary([p["p50_ms"] for p in raw["dispatch"]])
    rows.append(["submit: 16 clients, durable acks/s", fmt_spread(sub), "–", "–", "≥ 2,000/s",
                 "met" if sub["median"] >= 2000 else "not met"])
    rows.append(["dispatch: submit → assignment, idle worker", f"p50 {fmt_spread(p50)} ms, p99 {fmt_spread(p99)} ms",
                 "–", "–", "p99 ≤ 20 ms", "met" if p99["median"] <= 20 else "not met"])

    # Fan-out at saturation: WatchJob vs WatchJobBatched, alternating; 100 connections.
    common = ["--phases", "fanout", "--watchers", str(watchers), "--channels", str(watchers), "--events", str(events)]
    for r in range(ctx.reps):
        for batched in (False, True):
            log(f"service: saturated fan-out {'batched' if batched else 'WatchJob'} {r}")
            argv, phases = _bench(ctx, binary, common + (["--batched"] if batched else []), f"sat{r}{batched}")
            commands += [" ".join(argv)] if r == 0 else []
            raw["saturated"].append(phases[0])
    for mode in ("WatchJob", "WatchJobBatched"):
        ps = [p for p in raw["saturated"] if p["mode"] == mode]
        d = summary([p["deliveries_per_s"] for p in ps])
        rows.append([f"fan-out, {watchers} watchers, saturated, {mode}", f"{fmt_spread(d)} deliveries/s",
                     f"p50 {fmt(summary([p['p50_ms'] for p in ps])['median'])} ms, "
                     f"p99 {fmt(summary([p['p99_ms'] for p in ps])['median'])} ms",
                     fmt(summary([p["peak_rss_mib"] for p in ps])["median"]), "≥ 100,000/s",
                     "met" if d["median"] >= 100000 else "not met"])

    # The same offered load, streamed (WatchJob) vs polled (one GetJob per watcher per event).
    paced = ["--watchers", str(watchers), "--channels", str(watchers), "--events", str(rate_events), "--rate",
             str(rate), "--batch", "10"]
    for r in range(ctx.reps):
        for phase in ("fanout", "poll"):
            log(f"service: {phase} at {rate} events/s {r}")
            argv, phases = _bench(ctx, binary, ["--phases", phase, *paced], f"rate{r}{phase}")
            commands += [" ".join(argv)] if r == 0 else []
            raw["rate"].append(phases[0])
    need = watchers * rate
    watch = [p for p in raw["rate"] if p["phase"] == "fanout"]
    poll = [p for p in raw["rate"] if p["phase"] == "poll"]
    wd, pd = summary([p["deliveries_per_s"] for p in watch]), summary([p["deliveries_per_s"] for p in poll])
    rows.append([f"WatchJob, {watchers} watchers, offered {rate} events/s (= {need:,} deliveries/s)",
                 f"{fmt_spread(wd)} deliveries/s",
                 f"p50 {fmt(summary([p['p50_ms'] for p in watch])['median'])} ms, "
                 f"p99 {fmt(summary([p['p99_ms'] for p in watch])['median'])} ms (event → watcher)",
                 fmt(summary([p["peak_rss_mib"] for p in watch])["median"]), "keep up",
                 "yes" if wd["median"] >= 0.95 * need else f"no ({wd['median'] / need:.0%})"])
    rows.append([f"GetJob poll, same load: {need:,} polls/s needed for one poll per watcher per event",
                 f"{fmt_spread(pd)} polls/s ({pd['median'] / need:.0%} of needed)",
                 f"p50 {fmt(summary([p['p50_ms'] for p in poll])['median'])} ms, "
                 f"p99 {fmt(summary([p['p99_ms'] for p in poll])['median'])} ms (per call)",
                 fmt(summary([p["peak_rss_mib"] for p in poll])["median"]), "keep up",
                 "yes" if pd["median"] >= need else f"no ({pd['median'] / need:.0%})"])

    # Scaling: watchers (WatchJob and WatchJobBatched, saturated), queued jobs, history.
    for w in ladder:
        for batched in (False, True):
            log(f"service: {w} watchers {'batched' if batched else 'WatchJob'}")
            argv, phases = _bench(ctx, binary, ["--phases", "fanout", "--watchers", str(w), "--channels", str(w),
                                                "--events", str(events)] + (["--batched"] if batched else []),
                                  f"w{w}{batched}")
            raw["ladder"].append(phases[0])
    log("service: RSS vs queued jobs and history")
    argv, phases = _bench(ctx, binary, ["--phases", "queue,history", "--queue-sizes", queue, "--history-sizes",
                                        history], "rss")
    commands.append(" ".join(argv))
    raw["queue"], raw["history"] = phases[0], phases[1]
    scaling_rows = []
    for p in raw["ladder"]:
        scaling_rows.append([f"{p['watchers']} watchers, {p['mode']}", fmt(p["deliveries_per_s"]) + " deliveries/s",
                             f"p99 {fmt(p['p99_ms'])} ms", fmt(p["peak_rss_mib"])])
    for pt in raw["queue"]["points"]:
        scaling_rows.append([f"{pt['jobs']:,} jobs queued", "", "", fmt(pt["rss_mib"])])
    for pt in raw["history"]["points"]:
        scaling_rows.append([f"{pt['events']:,} events stored (one job)", "", "", fmt(pt["rss_mib"])])

    plots = []
    series = []
    for mode in ("WatchJob", "WatchJobBatched"):
        series.append({"label": mode, "points": [(p["watchers"], p["deliveries_per_s"]) for p in raw["ladder"]
                                                 if p["mode"] == mode]})
    if svg.line_plot(os.path.join(ctx.plots_dir, "service-watchers.svg"), "Fan-out at saturation vs watchers",
                     "watchers (one connection each)", "deliveries/s", series, log_x=True, log_y=True):
        plots.append(("service-watchers.svg", "deliveries/s vs watchers, WatchJob and WatchJobBatched"))
    if svg.line_plot(os.path.join(ctx.plots_dir, "service-rss.svg"), "Scheduler RSS vs queued jobs and history",
                     "jobs queued / events stored", "RSS (MiB)",
                     [{"label": "queued jobs", "points": [(p["jobs"], p["rss_mib"]) for p in raw["queue"]["points"] if p["jobs"]]},
                      {"label": "stored events", "points": [(p["events"], p["rss_mib"]) for p in raw["history"]["points"] if p["events"]]}],
                     log_x=True):
        plots.append(("service-rss.svg", "scheduler RSS (VmRSS) vs queued jobs and stored events"))
    return {
        "title": "Service: submits, dispatch, fan-out vs polling, scheduler memory",
        "commands": commands,
        "tables": [{"caption": f"A real `ptune-scheduler` per run (durable SQLite store, fsync per commit) on "
                               f"loopback; the load generator shares the cores. {ctx.reps} runs per row, median "
                               f"(min–max). Fan-out: one worker sends step events, watchers each on their own "
                               f"connection; latency = event stamped by the worker → read by the watcher (every "
                               f"16th event). Poll: the same worker load, each watcher calls GetJob in a loop "
                               f"until the job ends (a REST client needs one call per event).",
                    "header": ["what", "throughput", "latency", "scheduler peak RSS MiB", "target", "met?"],
                    "rows": rows},
                   {"caption": "Scaling: saturated fan-out by watchers (one run each); RSS (VmRSS) of one "
                               "scheduler after each cumulative number of queued jobs (no worker), and of "
                               "another after one running job stored each cumulative number of events.",
                    "header": ["point", "throughput", "latency", "RSS MiB"], "rows": scaling_rows}],
        "plots": plots,
        "verdicts": [],
        "notes": ["The RSS figures come from `ptune_scheduler_bench` (phases `queue` and `history`). The load "
                  "generator of `tests/reliability/load/` had no `scripts/load-test.sh --json` entry point when "
                  "this suite was wired, so its figures are not part of this page (docs/reliability.md)."],
        "raw": raw,
    }
