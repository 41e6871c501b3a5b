"""Training step: ptune's PT step vs the same step in Python, alternating, same files, batch,
prompt length and threads. HF transformers (through the HF oracle) for the T5-small and Llama
shapes and a model-size ladder; plain PyTorch for USE-Lite over prompt length and batch."""
import os
import re

from common import BenchError, fmt, fmt_ratio, median, oracle_env, ratio, run, step_times, log
import svg

GOAL = 1.3  # Python / ptune step time (issue 17)
PYTHON = "/usr/bin/python3"  # Debian's, with python3-torch (the same LibTorch as ptune)


def _alternate(ours_argv, peer_argv, peer_env, reps):
    """reps x (ours, peer), each a fresh process; per side all timed steps and per-rep medians."""
    sides = {"ours": {"steps": [], "reps": [], "loss": None}, "peer": {"steps": [], "reps": [], "loss": None}}
    for _ in range(reps):
        for side, argv, env in (("ours", ours_argv, None), ("peer", peer_argv, peer_env)):
            out, _ = run(argv, env=env)
            times, losses = step_times(out, argv)
            s = sides[side]
            s["steps"] += times
            s["reps"].append(median(times))
            if s["loss"] is None and losses:
                s["loss"] = losses[0]
    for s in sides.values():
        s["median"] = median(s["steps"])
    sides["ratio"] = ratio(sides["peer"]["median"], sides["ours"]["median"])
    return sides


def _row(label, shape, point):
    o, p = point["ours"], point["peer"]

    def cell(s):
        return f"{fmt(s['median'])} ({fmt(min(s['reps']))}–{fmt(max(s['reps']))})"

    same = o["loss"] is not None and p["loss"] is not None and abs(o["loss"] - p["loss"]) <= 1e-3 * max(1, abs(o["loss"]))
    return [label, *map(str, shape), cell(o), cell(p), fmt(1 / o["median"]), fmt(1 / p["median"]),
            fmt_ratio(point["ratio"]), f"{o['loss']:.4f} / {p['loss']:.4f}" + ("" if same else " (differ!)")]


HEADER = ["model", "batch", "prompt rows", "text tokens", "ptune s/step", "peer s/step", "ptune steps/s",
          "peer steps/s", "peer / ptune", "first loss ptune / peer"]


def _lm(ctx, env, skipped):
    binary = os.path.join(ctx.build_dir, "bench/engine/lm_step_bench")
    if not os.path.isfile(binary):
        skipped.append(f"HF rows: {binary} is not built")
        return [], [], {}
    if env is None:
        skipped.append(f"HF rows: the HF oracle is missing ({ctx.hf_oracle}/env.sh not found or not usable): "
                       "set it up as ../shared/oracles/hf/README.md says, or pass --hf-oracle DIR")
        return [], [], {}
    names = ["llama-tiny", "t5-tiny"] if ctx.smoke else ["llama", "t5", "llama-s", "llama-xs"]
    models = os.path.join(ctx.work_dir, "models")
    made, _ = run([PYTHON, os.path.join(ctx.root, "bench/engine/hf_lm_step.py"), "make", models, *names], env=env)
    params = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\S+): ([\d.]+)M parameters", made, re.M)}
    shape = (2, 4, 8) if ctx.smoke else (8, 20, 64)
    steps, warmup = (1, 1) if ctx.smoke else (3, 1)
    rows, raw, size_points = [], {}, {"ptune": [], "HF transformers": []}
    for name in names:
        b, p, t = shape
        common = ["--batch", str(b), "--prompt-len", str(p), "--text-len", str(t), "--threads", str(ctx.threads),
                  "--device", ctx.device]
        ours = [binary, "--model", os.path.join(models, name), "--steps", str(steps), "--warmup", str(warmup), *common]
        peer = [PYTHON, os.path.join(ctx.root, "bench/engine/hf_lm_step.py"), "step", os.path.join(models, name),
                str(steps), str(warmup), *common]
        log(f"training: {name}")
        point = _alternate(ours, peer, env, ctx.reps)
        point.update({"model": name, "params_m": params.get(name), "shape": shape, "commands": [ours, peer]})
        raw[name] = point
        label = f"{name} ({params.get(name, 0):.1f}M)"
        rows.append(_row(label, shape, point))
        if name.startswith("llama"):
            size_points["ptune"].append((params.get(name), point["ours"]["median"]))
            size_points["HF transformers"].append((params.get(name), point["peer"]["median"]))
    plots = []
    for s in size_points.values():
        s.sort()
    if len(size_points["ptune"]) >= 2 and svg.line_plot(
            os.path.join(ctx.plots_dir, "training-model-size.svg"),
            f"PT step, Llama shapes (batch {shape[0]}, {shape[1]} + {shape[2]} rows)", "parameters (M)",
            "s/step (median)", [{"label": k, "points": v} for k, v in size_points.items()], log_x=True, log_y=True):
        plots.append(("training-model-size.svg", "PT step time vs model size (Llama shapes), ptune vs HF"))
    return rows, plots, raw


def _use_lite(ctx, skipped):
    binary = os.path.join(ctx.build_dir, "bench/engine/use_lite_step_bench")
    if not os.path.isfile(binary):
        skipped.append(f"USE-Lite rows: {binary} is not built")
        return [], [], {}
    if not os.path.isfile(os.path.join(ctx.use_lite, "model.json")):
        skipped.append(f"USE-Lite rows: {ctx.use_lite}/model.json is missing (run scripts/setup.sh)")
        return [], [], {}
    if ctx.smoke:
        shapes = [(2, 4, 8)]
    else:
        shapes = [(16, 20, 32), (16, 50, 32), (16, 100, 32), (16, 200, 32), (4, 20, 32), (64, 20, 32)]
    steps, warmup = (1, 1) if ctx.smoke else (5, 1)
    rows, raw = [], {}
    for b, p, t in shapes:
        common = ["--batch", str(b), "--prompt-len", str(p), "--text-len", str(t), "--threads", str(ctx.threads),
                  "--device", ctx.device]
        ours = [binary, "--model", ctx.use_lite, "--steps", str(steps), "--warmup", str(warmup), *common]
        peer = [PYTHON, os.path.join(ctx.root, "bench/engine/use_lite_step.py"), ctx.use_lite, str(steps),
                str(warmup), *common]
        log(f"training: use-lite {b}x{p}+{t}")
        point = _alternate(ours, peer, None, ctx.reps)
        point.update({"shape": (b, p, t), "commands": [ours, peer]})
        raw[f"{b}x{p}+{t}"] = point
        rows.append(_row("USE-Lite (6.97M)", (b, p, t), point))
    plots = []
    by_prompt = [(p, raw[f"{b}x{p}+{t}"]) for b, p, t in shapes if b == 16]
    by_batch = sorted((b, raw[f"{b}x{p}+{t}"]) for b, p, t in shapes if p == 20)
    for file, title, xlabel, pts in (
            ("training-prompt-length.svg", "USE-Lite PT step vs prompt length (batch 16, 32 text tokens)",
             "prompt rows", by_prompt),
            ("training-batch.svg", "USE-Lite PT step vs batch (20 prompt rows, 32 text tokens)", "batch", by_batch)):
        if len(pts) >= 2 and svg.line_plot(
                os.path.join(ctx.plots_dir, file), title, xlabel, "s/step (median)",
                [{"label": "ptune", "points": [(x, q["ours"]["median"]) for x, q in pts]},
                 {"label": "plain PyTorch", "points": [(x, q["peer"]["median"]) for x, q in pts]}],
                log_x=True, log_y=True):
            plots.append((file, title))
    return rows, plots, raw


def run_area(ctx):
    skipped = []
    env = oracle_env(ctx.hf_oracle)
    if env is not None:
        try:
            run([PYTHON, "-c", "import transformers"], env=env)
        except BenchError as e:
            skipped.append(f"HF oracle at {ctx.hf_oracle} does not import transformers: {e}")
            env = None
    lm_rows, lm_plots, lm_raw = _lm(ctx, env, skipped)
    ul_rows, ul_plots, ul_raw = _use_lite(ctx, skipped)
    if not lm_rows and not ul_rows:
        return {"skipped": "; ".join(skipped)}
    ratios = [p["ratio"] for p in list(lm_raw.values()) + list(ul_raw.values()) if p["ratio"]]
    met = [r for r in ratios if r >= GOAL]
    state = "**met**" if len(met) == len(ratios) else "**not met**"
    verdict = (f"goal ptune ≥ {GOAL}× faster than the same step in Python: {state}, at {len(met)} of "
               f"{len(ratios)} points (ratios {min(ratios):.2f}–{max(ratios):.2f}×)") if ratios else ""
    tables = []
    if lm_rows:
        tables.append({"caption": "PT step on HF-format models with random weights (written once by HF "
                                  "`save_pretrained`; both sides load the same files), ptune (`lm_step_bench`) vs "
                                  "HF transformers 4.44.2 on Debian's torch 1.13 (`hf_lm_step.py`), alternating "
                                  f"fresh processes, {ctx.reps} each; s/step = median of all timed steps "
                                  "(min–max of the per-process medians); ratio > 1: ptune faster. Same first loss "
                                  "on both sides = the same step.", "header": HEADER, "rows": lm_rows})
    if ul_rows:
        tables.append({"caption": "PT step on USE-Lite (the default backbone, same TF.js weights), ptune "
                                  "(`use_lite_step_bench`) vs the model written in plain PyTorch "
                                  "(`use_lite_step.py`), alternating fresh processes; prompt length and batch "
                                  "scaling.", "header": HEADER, "rows": ul_rows})
    commands = [" ".join(p["commands"][0]) + "\n" + " ".join(p["commands"][1])
                for p in list(lm_raw.values())[:1] + list(ul_raw.values())[:1]]
    for p in list(lm_raw.values()) + list(ul_raw.values()):
        p["commands"] = [" ".join(c) for c in p["commands"]]
    return {"title": "Training step: ptune vs Python (HF transformers, plain PyTorch)",
            "commands": commands, "tables": tables, "plots": lm_plots + ul_plots,
            "verdicts": [verdict] if verdict else [], "skipped_rows": skipped,
            "raw": {"hf": lm_raw, "use_lite": ul_raw, "threads": ctx.threads, "device": ctx.device}}
