#!/usr/bin/env python3
"""Times the peers Tessera is compared with -- PyTorch and Triton -- on the GPU machine.

Each case prints one JSON object a line in Tessera's results format:
  {"kernel", "shape", "dtype", "provider", "ms" (median), "GBps" or "TFLOPs", "device", "date"}

The Triton kernels here are our own straightforward implementations of the usual fused kernels
(one program per row for the row-wise ones), the way a Triton user would write them.

usage: peers.py [--cases all|copy,add,softmax,layernorm,rmsnorm,matmul,launch] [--out FILE]
"""
import argparse
import datetime
import json
import sys

import torch
import triton
import triton.language as tl

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


@triton.jit
def add_kernel(x, y, out, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out + offs, tl.load(x + offs, mask=mask) + tl.load(y + offs, mask=mask), mask=mask)


@triton.jit
def softmax_kernel(x, out, stride, n, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n
    v = tl.load(x + row * stride + cols, mask=mask, other=-float("inf")).to(tl.float32)
    e = tl.exp(v - tl.max(v, axis=0))
    tl.store(out + row * stride + cols, e / tl.sum(e, axis=0), mask=mask)


@triton.jit
def layernorm_kernel(x, y, w, b, stride, n, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n
    v = tl.load(x + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    mean = tl.sum(v, axis=0) / n
    c = tl.where(mask, v - mean, 0.0)
    rstd = 1.0 / tl.sqrt(tl.sum(c * c, axis=0) / n + eps)
    wv = tl.load(w + cols, mask=mask).to(tl.float32)
    bv = tl.load(b + cols, mask=mask).to(tl.float32)
    tl.store(y + row * stride + cols, c * rstd * wv + bv, mask=mask)


@triton.jit
def rmsnorm_kernel(x, y, w, stride, n, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n
    v = tl.load(x + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    r = 1.0 / tl.sqrt(tl.sum(v * v, axis=0) / n + eps)
    wv = tl.load(w + cols, mask=mask).to(tl.float32)
    tl.store(y + row * stride + cols, v * r * wv, mask=mask)


def row_warps(block):
    return 16 if block >= 8192 else 8 if block >= 2048 else 4


def bench(fn):
    return triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median")


def record(out, kernel, shape, dtype, provider, ms, gbps=None, tflops=None):
    obj = {"kernel": kernel, "shape": shape, "dtype": dtype, "provider": provider, "ms": round(ms, 6)}
    if gbps is not None:
        obj["GBps"] = round(gbps, 3)
    if tflops is not None:
        obj["TFLOPs"] = round(tflops, 3)
    obj["device"] = torch.cuda.get_device_name()
    obj["date"] = datetime.date.today().isoformat()
    out.write(json.dumps(obj) + "\n")
    out.flush()


def case_copy(out):
    n = 1 << 28  # 1 GiB of f32
    x = torch.randn(n, device="cuda")
    y = torch.empty_like(x)
    ms = bench(lambda: y.copy_(x))
    record(out, "copy", "1GiB", "f32", "torch", ms, gbps=2 * n * 4 / ms / 1e6)


def case_add(out):
    n = 1 << 26
    x, y = torch.randn(n, device="cuda"), torch.randn(n, device="cuda")
    o = torch.empty_like(x)
    gb = 3 * n * 4 / 1e6
    ms = bench(lambda: torch.add(x, y, out=o))
    record(out, "vector-add", str(n), "f32", "torch", ms, gbps=gb / ms)
    grid = (triton.cdiv(n, 1024),)
    ms = bench(lambda: add_kernel[grid](x, y, o, n, BLOCK=1024))
    record(out, "vector-add", str(n), "f32", "triton", ms, gbps=gb / ms)


def case_softmax(out):
    for dtype, rows, cols_list in (("f32", 4096, (1024, 4096, 16384)), ("bf16", 8192, (1024, 4096, 16384))):
        for cols in cols_list:
            x = torch.randn(rows, cols, device="cuda", dtype=DTYPES[dtype])
            o = torch.empty_like(x)
            gb = 2 * x.numel() * x.element_size() / 1e6
            shape = f"{rows}x{cols}"
            ms = bench(lambda: torch.softmax(x, dim=-1, out=o))
            record(out, "softmax", shape, dtype, "torch", ms, gbps=gb / ms)
            block = triton.next_power_of_2(cols)
            ms = bench(lambda: softmax_kernel[(rows,)](x, o, x.stride(0), cols, BLOCK=block, num_warps=row_warps(block)))
            record(out, "softmax", shape, dtype, "triton", ms, gbps=gb / ms)


def case_layernorm(out):
    rows, cols, dtype = 4096, 8192, "f16"
    x = torch.randn(rows, cols, device="cuda", dtype=DTYPES[dtype])
    w, b = torch.randn(cols, device="cuda", dtype=x.dtype), torch.randn(cols, device="cuda", dtype=x.dtype)
    y = torch.empty_like(x)
    gb = 2 * x.numel() * x.element_size() / 1e6
    ms = bench(lambda: torch.nn.functional.layer_norm(x, (cols,), w, b, 1e-5))
    record(out, "layer-norm", f"{rows}x{cols}", dtype, "torch", ms, gbps=gb / ms)
    block = triton.next_power_of_2(cols)
    ms = bench(lambda: layernorm_kernel[(rows,)](x, y, w, b, x.stride(0), cols, 1e-5, BLOCK=block, num_warps=row_warps(block)))
    record(out, "layer-norm", f"{rows}x{cols}", dtype, "triton", ms, gbps=gb / ms)


def case_rmsnorm(out):
    for rows, cols in ((16384, 4096), (4096, 16384)):
        x = torch.randn(rows, cols, device="cuda", dtype=torch.bfloat16)
        w = torch.randn(cols, device="cuda", dtype=x.dtype)
        y = torch.empty_like(x)
        gb = 2 * x.numel() * x.element_size() / 1e6
        ms = bench(lambda: torch.nn.functional.rms_norm(x, (cols,), w, 1e-6))
        record(out, "rms-norm", f"{rows}x{cols}", "bf16", "torch", ms, gbps=gb / ms)
        block = triton.next_power_of_2(cols)
        ms = bench(lambda: rmsnorm_kernel[(rows,)](x, y, w, x.stride(0), cols, 1e-6, BLOCK=block, num_warps=row_warps(block)))
        record(out, "rms-norm", f"{rows}x{cols}", "bf16", "triton", ms, gbps=gb / ms)


def case_matmul(out):
    for n, dtype in ((1024, "f16"), (4096, "bf16"), (512, "f32")):
        a = torch.randn(n, n, device="cuda", dtype=DTYPES[dtype])
        b = torch.randn(n, n, device="cuda", dtype=DTYPES[dtype])
        ms = bench(lambda: torch.matmul(a, b))
        record(out, "matmul", f"{n}x{n}x{n}", dtype, "cublas", ms, tflops=2 * n ** 3 / ms / 1e9)


def case_launch(out):
    """Host time per launch, measured as `tessera overhead` measures Tessera's: rounds of launches of
    a one-program vector add, back to back, synchronizing (untimed) between rounds."""
    import time
    n = 1 << 16
    x, y = torch.randn(n, device="cuda"), torch.randn(n, device="cuda")
    o = torch.empty_like(x)
    providers = {"torch": lambda: torch.add(x, y, out=o),
                 "triton": lambda: add_kernel[(1,)](x, y, o, n, BLOCK=1024)}
    for name, fn in providers.items():
        for _ in range(2000):
            fn()
        torch.cuda.synchronize()
        for label, count, per_round in (("back to back", 5, 20000), ("after the device drained", 41, 512)):
            rounds = []
            for _ in range(count):
                t0 = time.perf_counter()
                for _ in range(per_round):
                    fn()
                rounds.append((time.perf_counter() - t0) / per_round * 1e6)
                torch.cuda.synchronize()
            median = sorted(rounds)[len(rounds) // 2]
            print(f"host time per cached launch, {name}, {label} ({count} rounds of {per_round}): median {median:.2f} us", flush=True)


CASES = {"copy": case_copy, "add": case_add, "softmax": case_softmax, "layernorm": case_layernorm,
         "rmsnorm": case_rmsnorm, "matmul": case_matmul, "launch": case_launch}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="all")
    parser.add_argument("--out", default="-")
    args = parser.parse_args()
    names = list(CASES) if args.cases == "all" else args.cases.split(",")
    out = sys.stdout if args.out == "-" else open(args.out, "a")
    for name in names:
        CASES[name](out)


if __name__ == "__main__":
    main()
