#!/usr/bin/env python3
"""Joins results files (JSON lines in Tessera's format) into Markdown tables.

Bandwidth (GB/s): one row per (kernel, shape, dtype), one column per provider, plus Tessera's ratio
to Triton and its share of the measured device copy bandwidth.

Throughput (TFLOP/s, GFLOP/s; matmul): one row per (kernel, layout, shape, dtype), with Tessera,
Triton (its best config, named), cuBLAS, Tessera / cuBLAS and Tessera / Triton, and the config each
ran. A matmul record's "layout" is "A@B" (B [K, N] row-major, the default when absent) or "A@W.T"
(B given as W [N, K] row-major, transposed).

Memory: for records that say how much device memory a provider took beyond its inputs (peers'
"peak_extra_MiB"; Tessera's "extra N MiB" in its config), one row per (kernel, shape, dtype).
Attention (TFLOP/s): one row per (kernel, causal, shape BxHxNxD, dtype), with Tessera, Triton, torch's
SDPA (and the backend it picked), Tessera / SDPA and Tessera / Triton.
Training steps (fused-linear-cross-entropy, lora-mlp; TFLOP/s over their matmuls): one row per
(kernel, shape, dtype), with Tessera, torch eager, torch.compile and Liger, and Tessera's ratio to
the first two (of throughput: the inverse ratio of times).

usage: table.py FILE.jsonl [FILE.jsonl ...]
"""
import json
import re
import sys
from collections import OrderedDict

KNOWN = ("tessera", "triton", "torch", "cublas")
THROUGHPUT = {"TFLOPs": "TFLOP/s", "GFLOPs": "GFLOP/s"}
TRAINING = ("fused-linear-cross-entropy", "lora-mlp")
TRAINING_PROVIDERS = ("tessera", "torch", "torch.compile", "liger")


def short_config(text):
    """'tuned: BM=128, BN=256, BK=64, GROUP=8, warps=8, stages=3' -> '128x256x64 s3 w8 (tuned)', a split
    along K as 'k/4'; others as they are."""
    if not text:
        return "-"
    v = dict(re.findall(r"(BM|BN|BK|SPLIT|warps|stages)=(\d+)", text))
    if not all(k in v for k in ("BM", "BN", "BK", "warps", "stages")):
        return text
    how = text.split(":")[0] if ":" in text else ""
    split = f" k/{v['SPLIT']}" if v.get("SPLIT", "1") != "1" else ""
    return f"{v['BM']}x{v['BN']}x{v['BK']}{split} s{v['stages']} w{v['warps']}" + (f" ({how})" if how else "")


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def main(paths):
    bandwidth, throughput, memory, attention, providers, copy = OrderedDict(), OrderedDict(), OrderedDict(), OrderedDict(), [], None
    training = OrderedDict()
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                r = json.loads(line)
                if r["kernel"] == "copy":
                    copy = r.get("GBps")
                    continue
                extra = r.get("peak_extra_MiB")
                if extra is None:
                    found = re.search(r"extra ([0-9.]+) MiB", r.get("config") or "")
                    extra = float(found.group(1)) if found else None
                if extra is not None:
                    memory.setdefault((r["kernel"], r["shape"], r["dtype"]), {})[r["provider"]] = extra
                if "GBps" in r:
                    key = (r["kernel"], r["shape"], r["dtype"])
                    bandwidth.setdefault(key, {})[r["provider"]] = r["GBps"]
                    if r["provider"] not in providers:
                        providers.append(r["provider"])
                    continue
                metric = next((m for m in THROUGHPUT if m in r), None)
                if metric is None:
                    continue
                if r["kernel"] in TRAINING:
                    training.setdefault((r["kernel"], r["shape"], r["dtype"], metric), {})[r["provider"]] = r[metric]
                    continue
                if r["kernel"].startswith("attention"):
                    key = (r["kernel"], ("causal" if r.get("causal") else "full") + (", deterministic dQ" if r.get("deterministic") else ""),
                           r["shape"], r["dtype"], metric)
                    attention.setdefault(key, {})[r["provider"]] = (r[metric], r.get("config"), r.get("sdpa_backend"))
                    continue
                key = (r["kernel"], r.get("layout", "A@B").split(" ")[0], r["shape"], r["dtype"], metric)
                # a later record of the same key (a re-run) replaces an earlier one
                throughput.setdefault(key, {})[r["provider"]] = (r[metric], r.get("config"), r.get("layout"))

    if bandwidth:
        order = [p for p in KNOWN if p in providers] + [p for p in providers if p not in KNOWN]
        if copy:
            print(f"device copy bandwidth (torch, read + write): {copy:.0f} GB/s\n")
        print("| kernel | shape | dtype | unit | " + " | ".join(order) + " | tessera / triton | tessera / copy |")
        print("|---|---|---|---|" + "---|" * len(order) + "---|---|")
        for (kernel, shape, dtype), vals in bandwidth.items():
            cells = [f"{vals[p]:.1f}" if p in vals else "-" for p in order]
            t, tr = vals.get("tessera"), vals.get("triton")
            share = f"{100 * t / copy:.0f}%" if t and copy else "-"
            print(f"| {kernel} | {shape} | {dtype} | GB/s | " + " | ".join(cells) + f" | {ratio(t, tr)} | {share} |")

    if throughput:
        if bandwidth:
            print()
        print("Matmul: throughput = 2·M·N·K / median time (for i8, integer operations); shape is MxNxK; "
              "triton is the best of its configs, named in the last column.\n")
        print("| kernel | layout | shape | dtype | unit | tessera | triton | cublas | tessera / cublas | tessera / triton "
              "| tessera config | triton config |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for (kernel, layout, shape, dtype, metric), vals in throughput.items():
            if kernel in ("matmul-descriptors", "matmul-persistent"):
                # Tessera's matmul through tensor descriptors: the peers are the matmul's of the same problem
                vals = {**{p: v for p, v in throughput.get(("matmul", layout, shape, dtype, metric), {}).items() if p != "tessera"}, **vals}
            get = lambda p: vals[p][0] if p in vals else None  # noqa: E731
            t, tr, cb = get("tessera"), get("triton"), get("cublas") or get("torch")
            cells = [f"{v:.1f}" if v is not None else "-" for v in (t, tr, cb)]
            unit = "TOP/s" if dtype == "i8" and metric == "TFLOPs" else THROUGHPUT[metric]
            notes = [l for p in ("cublas", "torch") if p in vals for l in [vals[p][2]] if l and l != layout]
            shown_layout = layout + (f" [{notes[0]}]" if notes else "")
            print(f"| {kernel} | {shown_layout} | {shape} | {dtype} | {unit} | " + " | ".join(cells)
                  + f" | {ratio(t, cb)} | {ratio(t, tr)} | {short_config(vals.get('tessera', (0, None))[1])} "
                  + f"| {short_config(vals.get('triton', (0, None))[1])} |")

    if training:
        print("\nTraining steps, forward + backward: throughput over their matmuls; shape is TxdxV (linear cross-entropy) "
              "or TxdxIxr (LoRA MLP).\n")
        print("| kernel | shape | dtype | unit | " + " | ".join(TRAINING_PROVIDERS) + " | tessera / torch | tessera / torch.compile |")
        print("|---|---|---|---|" + "---|" * len(TRAINING_PROVIDERS) + "---|---|")
        for (kernel, shape, dtype, metric), vals in training.items():
            cells = [f"{vals[p]:.1f}" if p in vals else "-" for p in TRAINING_PROVIDERS]
            t = vals.get("tessera")
            print(f"| {kernel} | {shape} | {dtype} | {THROUGHPUT[metric]} | " + " | ".join(cells)
                  + f" | {ratio(t, vals.get('torch'))} | {ratio(t, vals.get('torch.compile'))} |")

    if memory:
        names = [p for p in KNOWN if any(p in v for v in memory.values())]
        for v in memory.values():   # a provider once, however many rows have it
            names += [p for p in v if p not in names]
        print("\nDevice memory beyond the inputs, MiB (peak, torch.cuda.max_memory_allocated; Tessera: its live bytes, or its peak where its note says peak)\n")
        print("| kernel | shape | dtype | " + " | ".join(names) + " |")
        print("|---|---|---|" + "---|" * len(names))
        for (kernel, shape, dtype), vals in memory.items():
            print(f"| {kernel} | {shape} | {dtype} | " + " | ".join((f"{vals[p]:.1f}" if vals[p] >= 1 else f"{vals[p]:.3f}") if p in vals else "-" for p in names) + " |")
    if attention:
        if bandwidth or throughput:
            print()
        print("Attention: throughput = 4·B·N²·H·D / median time (halved when causal, 2.5 times that backward); shape is BxHxNxD; "
              "torch is scaled_dot_product_attention, with the backend it picked.\n")
        print("| kernel | mask | shape | dtype | unit | tessera | triton | torch (sdpa) | tessera / torch | tessera / triton | triton config |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for (kernel, mask, shape, dtype, metric), vals in attention.items():
            if kernel.endswith("-descriptors"):
                # Tessera's passes through tensor descriptors: the peers are those of the same pass
                same = attention.get((kernel[:-len("-descriptors")], mask, shape, dtype, metric), {})
                vals = {**{p: v for p, v in same.items() if p != "tessera"}, **vals}
            get = lambda p: vals[p][0] if p in vals else None  # noqa: E731
            t, tr, sd = get("tessera"), get("triton"), get("torch")
            cells = [f"{v:.1f}" if v is not None else "-" for v in (t, tr)]
            cells.append(f"{sd:.1f} ({vals['torch'][2]})" if sd is not None else "-")
            print(f"| {kernel} | {mask} | {shape} | {dtype} | {THROUGHPUT[metric]} | " + " | ".join(cells)
                  + f" | {ratio(t, sd)} | {ratio(t, tr)} | {vals.get('triton', (0, None))[1] or '-'} |")


if __name__ == "__main__":
    main(sys.argv[1:])
