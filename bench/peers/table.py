#!/usr/bin/env python3
"""Joins results files (JSON lines in Tessera's format) into one Markdown table per metric:
one row per (kernel, shape, dtype), one column per provider, plus Tessera's ratio to Triton and,
for bandwidth, its share of the measured device copy bandwidth.

usage: table.py FILE.jsonl [FILE.jsonl ...]
"""
import json
import sys
from collections import OrderedDict


def main(paths):
    rows, providers, copy = OrderedDict(), [], None
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
                metric = "GBps" if "GBps" in r else "TFLOPs" if "TFLOPs" in r else None
                if metric is None:
                    continue
                key = (r["kernel"], r["shape"], r["dtype"], metric)
                rows.setdefault(key, {})[r["provider"]] = r[metric]
                if r["provider"] not in providers:
                    providers.append(r["provider"])
    order = [p for p in ("tessera", "triton", "torch", "cublas") if p in providers] + \
            [p for p in providers if p not in ("tessera", "triton", "torch", "cublas")]
    if copy:
        print(f"device copy bandwidth (torch, read + write): {copy:.0f} GB/s\n")
    print("| kernel | shape | dtype | unit | " + " | ".join(order) + " | tessera / triton | tessera / copy |")
    print("|---|---|---|---|" + "---|" * len(order) + "---|---|")
    for (kernel, shape, dtype, metric), vals in rows.items():
        cells = [f"{vals[p]:.1f}" if p in vals else "-" for p in order]
        t, tr = vals.get("tessera"), vals.get("triton")
        ratio = f"{t / tr:.2f}" if t and tr else "-"
        share = f"{100 * t / copy:.0f}%" if t and copy and metric == "GBps" else "-"
        unit = "GB/s" if metric == "GBps" else "TFLOP/s"
        print(f"| {kernel} | {shape} | {dtype} | {unit} | " + " | ".join(cells) + f" | {ratio} | {share} |")


if __name__ == "__main__":
    main(sys.argv[1:])
