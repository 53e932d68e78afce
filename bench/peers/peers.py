#!/usr/bin/env python3
"""Times the peers Tessera is compared with -- PyTorch and Triton -- on the GPU machine.

Each case prints one JSON object a line in Tessera's results format:
  {"kernel", "shape", "dtype", "provider", "ms" (median), "GBps" or "TFLOPs", "device", "date"}

The Triton kernels here are our own straightforward implementations of the usual fused kernels
(one program per row for the row-wise ones), the way a Triton user would write them; the matmul is
the structure of Triton's matrix-multiplication tutorial, timed with each of a small fixed set of
H100/H200 configs (the best one is reported and named). Matmul records also carry "layout": "A@B"
(B [K, N] row-major) or "A@W.T" (B given as W [N, K] row-major, transposed: what nn.Linear
computes), and "config" for Triton. TFLOP/s = 2*M*N*K / time (for i8, integer operations).

Cases: copy, add, softmax, layernorm, rmsnorm, launch; matmul (f16 and bf16 at 1024^3, 4096^3 and
8192^3), matmul-tf32 and matmul-int8 (4096^3), matmul-llm (f16 and bf16, M in 64, 128, 512, 4096 by
(N, K) in (4096, 4096), (11008, 4096), (4096, 11008), (128256, 4096), both layouts); cross-entropy
(forward + backward on 8192x128256 bf16: torch eager, torch.compile and a Liger-style Triton kernel,
each with "peak_extra_MiB"); quant-gemm (the
peers of Tessera's quantized GEMMs y = x @ W.T at M = N = K in 1024, 2048, 4096, 8192, under Tessera's
kernel names: torch._int_mm for int8-gemm, the bf16 matmul for w8a16-gemm and nf4-gemm, and
torch._scaled_mm with per-tensor e4m3 scales for fp8-gemm and fp8-gemm-tensor, all as provider "cublas"); attention
(f16, q, k, v (B, H, N, D) with B*N = 16k, H*D = 2048, N in 1k..16k, D in 64 and 128, causal and
not, as `tessera bench attention` and `attention-backward` time them: torch's scaled_dot_product_attention
forward and backward, its record naming the backend torch picked ("sdpa_backend", from the kernels
the profiler saw), and the forward pass of a Triton FlashAttention-2 kernel in the structure of
Triton's fused-attention tutorial over a few H100/H200 configs; TFLOP/s = 4*B*N^2*H*D / time, halved
when causal, 2.5 times that backward); fused-linear-ce and lora-mlp (the training steps of
`tessera bench fused-linear-cross-entropy` and `lora-mlp`: torch eager and torch.compile, Liger's
fused kernel when installed, TFLOP/s over their matmuls and "peak_extra_MiB"). A provider
that fails is reported on stderr and left out; the other measurements go on.

usage: peers.py [--cases all|copy,add,softmax,layernorm,rmsnorm,matmul,matmul-tf32,matmul-int8,matmul-llm,matmul-llm-bf16,launch,cross-entropy,quant-gemm,attention,fused-linear-ce,lora-mlp,gemv,attention-decode] [--out FILE]
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


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
                  ACC_TYPE: tl.constexpr):
    """Triton's tutorial matmul (03-matrix-multiplication): grouped program order for L2 reuse, a
    K loop of masked tile loads into tl.dot. ACC_TYPE is tl.float32, or tl.int32 for i8 inputs; the
    result is stored converted to C's dtype."""
    pid = tl.program_id(axis=0)
    num_pid_m = tl.cdiv(M, BLOCK_M)
    num_pid_n = tl.cdiv(N, BLOCK_N)
    num_pid_in_group = GROUP_M * num_pid_n
    group_id = pid // num_pid_in_group
    first_pid_m = group_id * GROUP_M
    group_size_m = min(num_pid_m - first_pid_m, GROUP_M)
    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
    pid_n = (pid % num_pid_in_group) // group_size_m
    offs_am = (pid_m * BLOCK_M + tl.arange(0, BLOCK_M)) % M
    offs_bn = (pid_n * BLOCK_N + tl.arange(0, BLOCK_N)) % N
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + (offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak)
    b_ptrs = b_ptr + (offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn)
    accumulator = tl.zeros((BLOCK_M, BLOCK_N), dtype=ACC_TYPE)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_K, other=0)
        b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_K, other=0)
        accumulator = tl.dot(a, b, accumulator)
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    c = accumulator.to(c_ptr.dtype.element_ty)
    offs_cm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_cn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
    c_mask = (offs_cm[:, None] < M) & (offs_cn[None, :] < N)
    tl.store(c_ptrs, c, mask=c_mask)


@triton.jit
def cross_entropy_kernel(x, labels, loss, inv_count, stride, n, ignore_index, BLOCK: tl.constexpr):
    """Liger-style fused cross-entropy (mean): one program per row, an online log-sum-exp over blocks
    of the row, then (softmax - onehot) / count written over the logits in a second pass; the row's
    share of the loss goes to loss[row] (summed by torch after)."""
    row = tl.program_id(0).to(tl.int64)
    base = x + row * stride
    y = tl.load(labels + row)
    if y == ignore_index:
        for j0 in range(0, n, BLOCK):
            offs = j0 + tl.arange(0, BLOCK)
            tl.store(base + offs, 0.0, mask=offs < n)
        tl.store(loss + row, 0.0)
        return
    scale = tl.load(inv_count)
    m = float("-inf")
    d = 0.0
    for j0 in range(0, n, BLOCK):
        offs = j0 + tl.arange(0, BLOCK)
        v = tl.load(base + offs, mask=offs < n, other=float("-inf")).to(tl.float32)
        m_new = tl.maximum(m, tl.max(v, 0))
        d = d * tl.exp(m - m_new) + tl.sum(tl.exp(v - m_new), 0)
        m = m_new
    lse = m + tl.log(d)
    zy = tl.load(base + y).to(tl.float32)
    for j0 in range(0, n, BLOCK):
        offs = j0 + tl.arange(0, BLOCK)
        v = tl.load(base + offs, mask=offs < n, other=0.0).to(tl.float32)
        g = tl.exp(v - lse)
        g = tl.where(offs == y, g - 1.0, g) * scale
        tl.store(base + offs, g, mask=offs < n)
    tl.store(loss + row, (lse - zy) * scale)


# (name, BLOCK_M, BLOCK_N, BLOCK_K, GROUP_M, num_stages, num_warps): good configs on H100/H200 from
# the tutorial's list; Tessera's MatmulTuning.CONFIGS holds all four too (among others it tunes over)
MATMUL_CONFIGS = (
    ("128x256x64 s3 w8", 128, 256, 64, 8, 3, 8),
    ("128x128x64 s4 w4", 128, 128, 64, 8, 4, 4),
    ("64x256x32 s4 w4", 64, 256, 32, 8, 4, 4),
    ("128x128x32 s4 w4", 128, 128, 32, 8, 4, 4),
)


@triton.jit
def attention_block(acc, l_i, m_i, q, k_base, v_base, stride_kn, stride_vn, start_m, qk_scale, N,
                    HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, STAGE: tl.constexpr):
    """The tutorial's inner loop: STAGE 1 the blocks below the diagonal (or all, non-causal), STAGE 2
    the diagonal block, masked."""
    offs_m = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_DIM)
    if STAGE == 1:
        lo, hi = 0, start_m * BLOCK_M
    elif STAGE == 2:
        lo, hi = start_m * BLOCK_M, (start_m + 1) * BLOCK_M
    else:
        lo, hi = 0, N
    for start_n in range(lo, hi, BLOCK_N):
        k = tl.load(k_base + (start_n + offs_n)[None, :] * stride_kn + offs_d[:, None])
        qk = tl.dot(q, k)
        if STAGE == 2:
            qk = qk * qk_scale + tl.where(offs_m[:, None] >= (start_n + offs_n[None, :]), 0, -1.0e6)
            m_ij = tl.maximum(m_i, tl.max(qk, 1))
            qk = qk - m_ij[:, None]
        else:
            m_ij = tl.maximum(m_i, tl.max(qk, 1) * qk_scale)
            qk = qk * qk_scale - m_ij[:, None]
        p = tl.math.exp2(qk)
        alpha = tl.math.exp2(m_i - m_ij)
        l_i = l_i * alpha + tl.sum(p, 1)
        v = tl.load(v_base + (start_n + offs_n)[:, None] * stride_vn + offs_d[None, :])
        acc = tl.dot(p.to(v.dtype), v, acc * alpha[:, None])
        m_i = m_ij
    return acc, l_i, m_i


@triton.jit
def attention_kernel(Q, K, V, O, sm_scale, stride_qb, stride_qh, stride_qn, stride_kb, stride_kh, stride_kn,
                     stride_vb, stride_vh, stride_vn, stride_ob, stride_oh, stride_on, H, N,
                     HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr):
    """A FlashAttention-2 forward pass as Triton's fused-attention tutorial writes it (without its
    Hopper TMA and warp specialization): one program per BLOCK_M queries of one head, N a multiple
    of the blocks."""
    start_m = tl.program_id(0)
    b = tl.program_id(1) // H
    h = tl.program_id(1) % H
    q_base = Q + b.to(tl.int64) * stride_qb + h.to(tl.int64) * stride_qh
    k_base = K + b.to(tl.int64) * stride_kb + h.to(tl.int64) * stride_kh
    v_base = V + b.to(tl.int64) * stride_vb + h.to(tl.int64) * stride_vh
    offs_m = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, HEAD_DIM)
    q = tl.load(q_base + offs_m[:, None] * stride_qn + offs_d[None, :])
    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
    l_i = tl.zeros([BLOCK_M], tl.float32)
    acc = tl.zeros([BLOCK_M, HEAD_DIM], tl.float32)
    qk_scale = sm_scale * 1.44269504
    if CAUSAL:
        acc, l_i, m_i = attention_block(acc, l_i, m_i, q, k_base, v_base, stride_kn, stride_vn, start_m, qk_scale, N,
                                        HEAD_DIM, BLOCK_M, BLOCK_N, 1)
        acc, l_i, m_i = attention_block(acc, l_i, m_i, q, k_base, v_base, stride_kn, stride_vn, start_m, qk_scale, N,
                                        HEAD_DIM, BLOCK_M, BLOCK_N, 2)
    else:
        acc, l_i, m_i = attention_block(acc, l_i, m_i, q, k_base, v_base, stride_kn, stride_vn, start_m, qk_scale, N,
                                        HEAD_DIM, BLOCK_M, BLOCK_N, 3)
    o_base = O + b.to(tl.int64) * stride_ob + h.to(tl.int64) * stride_oh
    tl.store(o_base + offs_m[:, None] * stride_on + offs_d[None, :], (acc / l_i[:, None]).to(O.dtype.element_ty))


# (name, BLOCK_M, BLOCK_N, num_stages, num_warps): the tutorial's H100 search space, trimmed
ATTENTION_CONFIGS = [("128x64 s3 w4", 128, 64, 3, 4), ("128x64 s3 w8", 128, 64, 3, 8), ("128x128 s3 w8", 128, 128, 3, 8),
                     ("64x64 s4 w4", 64, 64, 4, 4)]


def triton_attention(q, k, v, o, causal, cfg):
    _, bm, bn, stages, warps = cfg
    b, h, n, d = q.shape
    grid = (triton.cdiv(n, bm), b * h)
    return lambda: attention_kernel[grid](q, k, v, o, d ** -0.5, q.stride(0), q.stride(1), q.stride(2), k.stride(0), k.stride(1),
                                          k.stride(2), v.stride(0), v.stride(1), v.stride(2), o.stride(0), o.stride(1), o.stride(2),
                                          h, n, HEAD_DIM=d, BLOCK_M=bm, BLOCK_N=bn, CAUSAL=causal, num_stages=stages, num_warps=warps)


def sdpa_backend(fn):
    """The SDPA backend torch dispatched to, from the names of the kernels a profiled call ran."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    names = " ".join(e.key for e in prof.key_averages()).lower()
    for backend, marks in (("cudnn", ("cudnn",)), ("flash", ("flash",)), ("efficient", ("efficient", "fmha", "cutlass")), ("math", ("gemm", "softmax"))):
        if any(m in names for m in marks):
            return backend
    return "unknown"


def measure_attention(out, n, d, causal, dtype="f16"):
    b, h = 16384 // n, 2048 // d
    shape = f"{b}x{h}x{n}x{d}"
    fwd_flops = 4.0 * b * n * n * h * d * (0.5 if causal else 1.0)
    q, k, v, do = (torch.randn(b, h, n, d, device="cuda", dtype=DTYPES[dtype]) for _ in range(4))
    sdpa = lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)  # noqa: E731
    ref = sdpa()
    ms = bench(sdpa)
    record(out, "attention", shape, dtype, "torch", ms, tflops=fwd_flops / ms / 1e9, causal=causal, sdpa_backend=sdpa_backend(sdpa))
    try:
        qg, kg, vg = (t.detach().clone().requires_grad_() for t in (q, k, v))
        og = torch.nn.functional.scaled_dot_product_attention(qg, kg, vg, is_causal=causal)
        backward = lambda: og.backward(do, retain_graph=True)  # noqa: E731
        ms = bench(backward)
        record(out, "attention-backward", shape, dtype, "torch", ms, tflops=2.5 * fwd_flops / ms / 1e9, causal=causal,
               deterministic=False, sdpa_backend=sdpa_backend(backward))
        del qg, kg, vg, og
    except Exception as e:  # noqa: BLE001 -- the forward records stand without it
        warn(f"attention-backward {shape} causal={causal}: torch failed: {one_line(e)}")
    o = torch.empty_like(q)
    trials, best = {}, None
    for cfg in ATTENTION_CONFIGS:
        fn = triton_attention(q, k, v, o, causal, cfg)
        try:
            fn()
            torch.cuda.synchronize()
            if not matches(o, ref, dtype):
                trials[cfg[0]] = "wrong result"
                warn(f"attention {shape} causal={causal}: Triton {cfg[0]} disagrees with SDPA; not timed")
                continue
            ms = bench(fn)
        except Exception as e:  # noqa: BLE001 -- any failure skips this config with its reason
            trials[cfg[0]] = one_line(e)
            warn(f"attention {shape} causal={causal}: Triton {cfg[0]} skipped: {one_line(e)}")
            continue
        trials[cfg[0]] = round(ms, 6)
        if best is None or ms < best[1]:
            best = (cfg[0], ms)
    if best is not None:
        record(out, "attention", shape, dtype, "triton", best[1], tflops=fwd_flops / best[1] / 1e9, causal=causal, config=best[0], trials=trials)
    del q, k, v, do, o, ref


def triton_matmul(a, b, c, cfg):
    _, bm, bn, bk, group, stages, warps = cfg
    m, k = a.shape
    n = b.shape[1]
    acc = tl.int32 if a.dtype == torch.int8 else tl.float32
    grid = (triton.cdiv(m, bm) * triton.cdiv(n, bn),)
    return lambda: matmul_kernel[grid](a, b, c, m, n, k, a.stride(0), a.stride(1), b.stride(0), b.stride(1),
                                       c.stride(0), c.stride(1), BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk, GROUP_M=group,
                                       ACC_TYPE=acc, num_stages=stages, num_warps=warps)


def warn(message):
    print("peers: " + message, file=sys.stderr, flush=True)


def one_line(e):
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text[:300]}"


def matches(c, ref, dtype):
    """Whether a peer's product agrees with cuBLAS's: exactly for i8, else within a relative error
    (of the largest magnitude) that f16/bf16 output rounding and tf32 inputs stay well inside."""
    if dtype == "i8":
        return torch.equal(c, ref)
    scale = ref.float().abs().max().item() or 1.0
    return (c.float() - ref.float()).abs().max().item() / scale < 2e-2


def matmul_inputs(m, n, k, dtype, layout):
    """A [M, K] row-major and B [K, N]: row-major, or for "A@W.T" the transpose of a row-major W [N, K]."""
    if dtype == "i8":
        a = torch.randint(-128, 128, (m, k), device="cuda", dtype=torch.int8)
        w = torch.randint(-128, 128, (n, k) if layout == "A@W.T" else (k, n), device="cuda", dtype=torch.int8)
    else:
        t = torch.float32 if dtype == "tf32" else DTYPES[dtype]
        a = torch.randn(m, k, device="cuda", dtype=t)
        w = torch.randn((n, k) if layout == "A@W.T" else (k, n), device="cuda", dtype=t)
    return a, (w.t() if layout == "A@W.T" else w)


def measure_matmul(out, m, n, k, dtype, layout):
    """cuBLAS (through torch) and the best of the Triton configs at one shape, dtype and layout."""
    shape, tflops = f"{m}x{n}x{k}", lambda ms: 2.0 * m * n * k / ms / 1e9
    a, b = matmul_inputs(m, n, k, dtype, layout)
    cublas_layout = layout
    if dtype == "i8":
        cublas = lambda: torch._int_mm(a, b)
        try:
            ref = cublas()
        except RuntimeError as e:
            # cuBLASLt's int8 path may want B column-major; time it that way and say so in the record
            warn(f"matmul {shape} i8: torch._int_mm with row-major B failed ({one_line(e)}); timing it with B column-major")
            b_col = b.t().contiguous().t()
            cublas = lambda: torch._int_mm(a, b_col)
            cublas_layout = layout + " (cuBLAS: B column-major)"
            ref = cublas()
    else:
        cublas = lambda: torch.matmul(a, b)
        ref = cublas()
    ms = bench(cublas)
    record(out, "matmul", shape, dtype, "cublas", ms, tflops=tflops(ms), layout=cublas_layout)

    c = torch.empty(m, n, device="cuda", dtype=torch.int32 if dtype == "i8" else a.dtype)
    trials, best = {}, None
    for cfg in MATMUL_CONFIGS:
        fn = triton_matmul(a, b, c, cfg)
        try:
            fn()  # compiles; a config too large for the device fails here (OutOfResources)
            torch.cuda.synchronize()
            if not matches(c, ref, dtype):
                trials[cfg[0]] = "wrong result"
                warn(f"matmul {shape} {dtype} {layout}: Triton {cfg[0]} disagrees with cuBLAS; not timed")
                continue
            ms = bench(fn)
        except Exception as e:  # noqa: BLE001 -- any failure skips this config with its reason
            trials[cfg[0]] = one_line(e)
            warn(f"matmul {shape} {dtype} {layout}: Triton {cfg[0]} skipped: {one_line(e)}")
            continue
        trials[cfg[0]] = round(ms, 6)
        if best is None or ms < best[1]:
            best = (cfg[0], ms)
    if best is not None:
        record(out, "matmul", shape, dtype, "triton", best[1], tflops=tflops(best[1]), layout=layout, config=best[0], trials=trials)
    del a, b, c, ref


def run_matmuls(out, shapes, dtypes, layouts):
    for dtype in dtypes:
        for layout in layouts:
            for m, n, k in shapes:
                try:
                    measure_matmul(out, m, n, k, dtype, layout)
                except Exception as e:  # noqa: BLE001 -- report and go on with the next shape
                    warn(f"matmul {m}x{n}x{k} {dtype} {layout} failed: {one_line(e)}")
                torch.cuda.empty_cache()


LLM_SHAPES = [(m, n, k) for m in (64, 128, 512, 4096) for n, k in ((4096, 4096), (11008, 4096), (4096, 11008), (128256, 4096))]


def row_warps(block):
    return 16 if block >= 8192 else 8 if block >= 2048 else 4


def bench(fn):
    return triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median")


def record(out, kernel, shape, dtype, provider, ms, gbps=None, tflops=None, **extra):
    obj = {"kernel": kernel, "shape": shape, "dtype": dtype, "provider": provider, "ms": round(ms, 6)}
    if gbps is not None:
        obj["GBps"] = round(gbps, 3)
    if tflops is not None:
        obj["TFLOPs"] = round(tflops, 3)
    obj["device"] = torch.cuda.get_device_name()
    obj["date"] = datetime.date.today().isoformat()
    obj.update(extra)  # after the standard fields, as Tessera's records put theirs
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
    run_matmuls(out, [(n, n, n) for n in (1024, 4096, 8192)], ("f16", "bf16"), ("A@B",))


def case_matmul_tf32(out):
    """f32 inputs with tensor cores in tf32: torch's allow_tf32, Triton's default for f32 tl.dot."""
    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        run_matmuls(out, [(4096, 4096, 4096)], ("tf32",), ("A@B",))
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before


def case_matmul_int8(out):
    """i8 inputs, i32 accumulator and output: torch._int_mm (cuBLASLt), Triton's tl.dot into int32."""
    run_matmuls(out, [(4096, 4096, 4096)], ("i8",), ("A@B",))


def case_matmul_llm(out):
    run_matmuls(out, LLM_SHAPES, ("f16", "bf16"), ("A@B", "A@W.T"))


def case_matmul_llm_bf16(out):
    """The LLM sweep in bf16 alone (half of matmul-llm's time), for a short device call."""
    run_matmuls(out, LLM_SHAPES, ("bf16",), ("A@B", "A@W.T"))


QUANT_GEMM_SIZES = (1024, 2048, 4096, 8192)


def scaled_mm(a, b, scale_a, scale_b, fast_accum):
    """torch._scaled_mm in bf16 out; older torch versions return (out, amax)."""
    r = torch._scaled_mm(a, b, scale_a=scale_a, scale_b=scale_b, out_dtype=torch.bfloat16, use_fast_accum=fast_accum)
    return r[0] if isinstance(r, tuple) else r


def case_matmul_llm_small(out):
    """The LLM sweep's rows of few tokens (M 64, 128, 512; N, K of 4096 and 11008), bf16, both layouts:
    the shapes where output tiles alone do not fill the GPU, for a short device call."""
    run_matmuls(out, [s for s in LLM_SHAPES if s[0] <= 512 and s[1] != 128256], ("bf16",), ("A@B", "A@W.T"))


def case_quant_gemm(out):
    """The peers of Tessera's int8-gemm, w8a16-gemm, nf4-gemm and fp8-gemm (y = x @ W.T, W [N, K]
    row-major, bf16 out where a peer has one): cuBLAS's kernel of the same operand types, without
    the quantized formats' scaling where cuBLAS has none (torch._int_mm writes i32, unscaled).
    fp8-gemm's record is torch._scaled_mm with per-tensor scales (the issue's target: Tessera's
    block-scaled GEMM at 80% of it); with fast accumulation it is recorded as "cublas-fast-accum",
    and torch's own 1x128 / 128x128 block-scaled path, where this torch has it, as "torch-blockwise"."""
    for n in QUANT_GEMM_SIZES:
        shape, flops = f"{n}x{n}x{n}", 2.0 * n * n * n
        tflops = lambda ms: flops / ms / 1e9  # noqa: E731
        runs = {}
        a8 = torch.randint(-127, 128, (n, n), device="cuda", dtype=torch.int8)
        w8 = torch.randint(-127, 128, (n, n), device="cuda", dtype=torch.int8)
        runs["int8-gemm", "cublas"] = lambda: torch._int_mm(a8, w8.t())
        x = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        w = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        runs["w8a16-gemm", "cublas"] = runs["nf4-gemm", "cublas"] = lambda: torch.matmul(x, w.t())
        af, wf = x.to(torch.float8_e4m3fn), w.to(torch.float8_e4m3fn)
        one = torch.tensor(1.0, device="cuda")
        runs["fp8-gemm", "cublas"] = lambda: scaled_mm(af, wf.t(), one, one, False)
        runs["fp8-gemm", "cublas-fast-accum"] = lambda: scaled_mm(af, wf.t(), one, one, True)
        sa = torch.ones(n, n // 128, device="cuda")            # 1x128 tiles, K-major as torch's blockwise path asks
        sw = torch.ones(n // 128, n // 128, device="cuda")     # 128x128 blocks
        runs["fp8-gemm", "torch-blockwise"] = lambda: scaled_mm(af, wf.t(), sa, sw, False)
        # Tessera's per-tensor GEMM accumulates on the tensor cores: its peer is the fast-accumulation
        # record, the default beside it
        runs["fp8-gemm-tensor", "cublas"] = runs["fp8-gemm", "cublas"]
        runs["fp8-gemm-tensor", "cublas-fast-accum"] = runs["fp8-gemm", "cublas-fast-accum"]
        for (kernel, provider), fn in runs.items():
            try:
                fn()
                torch.cuda.synchronize()
                ms = bench(fn)
            except Exception as e:  # noqa: BLE001 -- a peer this torch lacks is reported and left out
                warn(f"{kernel} {shape} {provider}: {one_line(e)}")
                continue
            record(out, kernel, shape, "bf16", provider, ms, tflops=tflops(ms), layout="A@W.T")
        del a8, w8, x, w, af, wf
        torch.cuda.empty_cache()


def case_attention(out):
    for d in (64, 128):
        for causal in (False, True):
            for n in (1024, 2048, 4096, 8192, 16384):
                try:
                    measure_attention(out, n, d, causal)
                except Exception as e:  # noqa: BLE001 -- report and go on with the next problem
                    warn(f"attention N={n} D={d} causal={causal} failed: {one_line(e)}")
                torch.cuda.empty_cache()


GEMV_SHAPES = ((1, 4096, 4096), (1, 8192, 8192), (1, 16384, 16384), (1, 11008, 4096), (1, 4096, 11008), (4, 4096, 4096),
               (8, 4096, 4096), (16, 4096, 4096), (8, 11008, 4096), (16, 4096, 11008), (16, 14336, 4096), (16, 128256, 4096))


@triton.jit
def gemv_kernel(w, x, y, N, K, BN: tl.constexpr, BK: tl.constexpr):
    """y = W·x for one token: BN rows of W a program, BK columns a step, f32 sums (a Triton user's GEMV)."""
    rn = tl.program_id(0) * BN + tl.arange(0, BN)
    acc = tl.zeros((BN,), dtype=tl.float32)
    for k0 in range(0, K, BK):
        rk = k0 + tl.arange(0, BK)
        wt = tl.load(w + rn[:, None] * K + rk[None, :], mask=(rn[:, None] < N) & (rk[None, :] < K), other=0.0)
        xv = tl.load(x + rk, mask=rk < K, other=0.0)
        acc += tl.sum(wt.to(tl.float32) * xv.to(tl.float32)[None, :], axis=1)
    tl.store(y + rn, acc.to(y.dtype.element_ty), mask=rn < N)


# (BN, BK, warps): few rows and long column steps, the search space of Tessera's own GEMV tuner
GEMV_CONFIGS = [(8, 512, 4), (16, 256, 4), (16, 512, 8), (32, 256, 8), (64, 128, 4), (32, 512, 8)]


def case_gemv(out):
    """y = x·Wᵀ for a row-major W [N, K] and T tokens (a decoding step's projections), bf16, as torch's
    linear (cuBLAS) runs it and, for one token, as a Triton GEMV kernel runs it at the best of
    GEMV_CONFIGS; shapes TxNxK as `tessera bench gemv --shapes` writes them; GB/s of W, x and y moved
    once."""
    for t, n, k in GEMV_SHAPES:
        x = torch.randn(t, k, device="cuda", dtype=torch.bfloat16)
        w = torch.randn(n, k, device="cuda", dtype=torch.bfloat16)
        gbps = lambda ms: 2.0 * (n * k + t * k + t * n) / ms / 1e6  # noqa: E731,B023
        ms = bench(lambda: torch.nn.functional.linear(x, w))  # noqa: B023 -- timed here, in this iteration
        record(out, "gemv", f"{t}x{n}x{k}", "bf16", "torch", ms, gbps=gbps(ms))
        if t == 1:
            y = torch.empty(n, device="cuda", dtype=torch.bfloat16)
            best = None
            for bn, bk, warps in GEMV_CONFIGS:
                try:
                    run = lambda: gemv_kernel[(triton.cdiv(n, bn),)](w, x, y, n, k, BN=bn, BK=bk, num_warps=warps)  # noqa: E731,B023
                    run()
                    torch.cuda.synchronize()
                    if not torch.allclose(y.float(), torch.nn.functional.linear(x, w).float().view(-1), rtol=2e-2, atol=2e-1):
                        warn(f"gemv {t}x{n}x{k} triton {bn}x{bk} w{warps}: wrong result, left out")
                        continue
                    tried = bench(run)
                except Exception as e:  # noqa: BLE001 -- a config this Triton refuses is reported and skipped
                    warn(f"gemv {t}x{n}x{k} triton {bn}x{bk} w{warps}: {one_line(e)}")
                    continue
                if best is None or tried < best[0]:
                    best = (tried, f"BN={bn} BK={bk} w{warps}")
            if best is not None:
                record(out, "gemv", f"{t}x{n}x{k}", "bf16", "triton", best[0], gbps=gbps(best[0]), config=best[1])
            del y
        del x, w


def case_attention_decode(out):
    """One query a sequence over a KV cache kept (B, N, Hkv, D) in memory, as `tessera bench
    attention-decode` times it (B 8, Hq 32, Hkv 8, D 128, bf16): torch SDPA with grouped-query
    attention; GB/s of the cache read once."""
    b, hq, hkv, d = 8, 32, 8, 128
    for n in (4096, 16384, 65536):
        q = torch.randn(b, hq, 1, d, device="cuda", dtype=torch.bfloat16)
        k, v = (torch.randn(b, n, hkv, d, device="cuda", dtype=torch.bfloat16).transpose(1, 2) for _ in range(2))
        sdpa = lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)  # noqa: E731,B023
        ms = bench(sdpa)
        record(out, "attention-decode", f"{b}x{hq}x{hkv}x{n}x{d}", "bf16", "torch", ms, gbps=2.0 * b * hkv * n * d * 2 / ms / 1e6,
               sdpa_backend=sdpa_backend(sdpa))
        del q, k, v


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


def peak_extra_mib(fn, reset):
    """Device memory fn takes beyond what is allocated before it (its inputs; outputs it keeps count):
    torch.cuda.max_memory_allocated over one call, after reset() freed what the last call left."""
    fn()
    torch.cuda.synchronize()
    reset()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    fn()
    torch.cuda.synchronize()
    return (torch.cuda.max_memory_allocated() - base) / 2**20


def case_cross_entropy(out):
    """Cross-entropy forward + backward (mean) on [8192, 128256] bf16 logits: torch eager and
    torch.compile (loss, then .backward() into logits.grad), and the Liger-style Triton kernel that
    writes the gradient over the logits (the best of two blockings, named). GB/s over the floor, the
    logits read once and the gradient written once; "peak_extra_MiB" is the memory beyond the inputs."""
    rows, vocab, dtype = 8192, 128256, "bf16"
    shape, gb = f"{rows}x{vocab}", 2 * rows * vocab * 2 / 1e6
    torch.manual_seed(0)
    x = torch.randn(rows, vocab, device="cuda", dtype=DTYPES[dtype], requires_grad=True)
    y = torch.randint(0, vocab, (rows,), device="cuda")
    f = torch.nn.functional.cross_entropy

    def eager():
        x.grad = None
        f(x, y).backward()

    def no_grad():
        x.grad = None

    compiled_loss = torch.compile(lambda a, b: f(a, b))

    def compiled():
        x.grad = None
        compiled_loss(x, y).backward()

    eager()
    ref_loss, ref_grad = f(x, y).item(), x.grad.clone()
    for name, fn in (("torch", eager), ("torch.compile", compiled)):
        try:
            mib = peak_extra_mib(fn, no_grad)
            ms = bench(fn)
            record(out, "cross-entropy", shape, dtype, name, ms, gbps=gb / ms, peak_extra_MiB=round(mib, 1))
        except Exception as e:  # noqa: BLE001 -- report and go on with the next provider
            warn(f"cross-entropy {name} failed: {one_line(e)}")
        x.grad = None
    logits = x.detach().clone()
    loss = torch.empty(rows, device="cuda", dtype=torch.float32)

    def triton_ce(block, warps):
        def run():
            inv = 1.0 / (y != -100).sum(dtype=torch.float32)
            cross_entropy_kernel[(rows,)](logits, y, loss, inv, logits.stride(0), vocab, -100, BLOCK=block, num_warps=warps)
            return loss.sum()
        return run

    trials, best = {}, None
    for block, warps in ((32768, 32), (8192, 16)):
        name = f"BLOCK={block} warps={warps}"
        try:
            logits.copy_(x.detach())
            got = triton_ce(block, warps)().item()
            torch.cuda.synchronize()
            if abs(got - ref_loss) > 1e-3 * abs(ref_loss) or not matches(logits, ref_grad, dtype):
                trials[name] = "wrong result"
                warn(f"cross-entropy: Triton {name} disagrees with torch; not timed")
                continue
            mib = peak_extra_mib(triton_ce(block, warps), lambda: None)
            ms = bench(triton_ce(block, warps))
        except Exception as e:  # noqa: BLE001 -- a blocking that fails is skipped with its reason
            trials[name] = one_line(e)
            warn(f"cross-entropy: Triton {name} skipped: {one_line(e)}")
            continue
        trials[name] = round(ms, 6)
        if best is None or ms < best[1]:
            best = (name, ms, mib)
    if best is not None:
        record(out, "cross-entropy", shape, dtype, "triton", best[1], gbps=gb / best[1], config=best[0],
               peak_extra_MiB=round(best[2], 1), trials=trials)
    del x, logits, ref_grad
    torch.cuda.empty_cache()


def case_fused_linear_ce(out):
    """The peers of `tessera bench fused-linear-cross-entropy`: loss, dH and dW of h [T, 4096] @ W.T
    (W [128256, 4096]) and a mean cross-entropy, bf16, T in 8k, 16k, 32k; torch eager and
    torch.compile computing the [T, V] logits and backpropagating through them (the separate matmul +
    cross-entropy the fused kernel should stay within 1.2x of), and Liger-Kernel's fused one when it is
    installed. TFLOP/s over the three matmuls (6*T*V*d); "peak_extra_MiB" counts the gradients."""
    d, vocab, dtype = 4096, 128256, "bf16"
    f = torch.nn.functional.cross_entropy
    compiled_loss = torch.compile(lambda h, w, y: f(h @ w.t(), y))
    try:
        from liger_kernel.transformers.fused_linear_cross_entropy import LigerFusedLinearCrossEntropyLoss
        liger = LigerFusedLinearCrossEntropyLoss()
    except Exception as e:  # noqa: BLE001 -- Liger is optional
        liger = None
        warn(f"fused-linear-cross-entropy: no Liger-Kernel ({one_line(e)}); torch only")
    for tokens in (8192, 16384, 32768):
        torch.manual_seed(0)
        h = torch.randn(tokens, d, device="cuda", dtype=DTYPES[dtype], requires_grad=True)
        w = (torch.randn(vocab, d, device="cuda", dtype=DTYPES[dtype]) * d ** -0.5).requires_grad_()
        y = torch.randint(0, vocab, (tokens,), device="cuda")
        shape, flops = f"{tokens}x{d}x{vocab}", 6.0 * tokens * vocab * d

        def no_grad():
            h.grad = w.grad = None

        def step(loss_of):
            def run():
                no_grad()
                loss_of().backward()
            return run

        providers = {"torch": step(lambda: f(h @ w.t(), y)), "torch.compile": step(lambda: compiled_loss(h, w, y))}
        if liger is not None:
            providers["liger"] = step(lambda: liger(w, h, y))
        for name, fn in providers.items():
            try:
                mib = peak_extra_mib(fn, no_grad)
                ms = bench(fn)
                record(out, "fused-linear-cross-entropy", shape, dtype, name, ms, tflops=flops / ms / 1e9, peak_extra_MiB=round(mib, 1))
            except Exception as e:  # noqa: BLE001 -- report (an out-of-memory one too) and go on
                warn(f"fused-linear-cross-entropy {name} at {shape} failed: {one_line(e)}")
            no_grad()
            torch.cuda.empty_cache()
        del h, w, y
        torch.cuda.empty_cache()


def case_lora_mlp(out):
    """The peers of `tessera bench lora-mlp`: a Llama-3-8B MLP (d 4096, I 14336) with a LoRA adapter
    (rank 16, scale 2) on gate, up and down, PEFT's way (base(x) + s * B(A(x)), the base frozen),
    SwiGLU between, forward and backward into x, A and B; bf16, T in 2k, 8k, 16k; torch eager and
    torch.compile. TFLOP/s over the matmuls, 3 * 2T(2*d*I + 3r(d + I)); "peak_extra_MiB" counts the
    gradients and the saved activations."""
    d, inner, rank, scale, dtype = 4096, 14336, 16, 2.0, "bf16"
    t = DTYPES[dtype]

    def lora(x, w, a, b):
        return x @ w.t() + scale * ((x @ a.t()) @ b.t())

    def mlp(x, p):
        return lora(torch.nn.functional.silu(lora(x, *p[0])) * lora(x, *p[1]), *p[2])

    compiled_mlp = torch.compile(mlp)
    torch.manual_seed(0)
    params = []
    for n_in, n_out in ((d, inner), (d, inner), (inner, d)):
        params.append((torch.randn(n_out, n_in, device="cuda", dtype=t) * n_in ** -0.5,
                       (torch.randn(rank, n_in, device="cuda", dtype=t) * n_in ** -0.5).requires_grad_(),
                       (torch.randn(n_out, rank, device="cuda", dtype=t) * 0.1).requires_grad_()))
    for tokens in (2048, 8192, 16384):
        x = torch.randn(tokens, d, device="cuda", dtype=t, requires_grad=True)
        grad_out = torch.randn(tokens, d, device="cuda", dtype=t)
        shape, flops = f"{tokens}x{d}x{inner}x{rank}", 3 * 2.0 * tokens * (2.0 * d * inner + 3.0 * rank * (d + inner))

        def no_grad():
            x.grad = None
            for _, a, b in params:
                a.grad = b.grad = None

        def step(fwd):
            def run():
                no_grad()
                fwd(x, params).backward(grad_out)
            return run

        for name, fn in (("torch", step(mlp)), ("torch.compile", step(compiled_mlp))):
            try:
                mib = peak_extra_mib(fn, no_grad)
                ms = bench(fn)
                record(out, "lora-mlp", shape, dtype, name, ms, tflops=flops / ms / 1e9, peak_extra_MiB=round(mib, 1))
            except Exception as e:  # noqa: BLE001 -- report and go on
                warn(f"lora-mlp {name} at {shape} failed: {one_line(e)}")
            no_grad()
            torch.cuda.empty_cache()
        del x, grad_out
        torch.cuda.empty_cache()


CASES = {"copy": case_copy, "add": case_add, "softmax": case_softmax, "layernorm": case_layernorm,
         "rmsnorm": case_rmsnorm, "matmul": case_matmul, "matmul-tf32": case_matmul_tf32,
         "matmul-int8": case_matmul_int8, "matmul-llm": case_matmul_llm, "matmul-llm-bf16": case_matmul_llm_bf16,
         "matmul-llm-small": case_matmul_llm_small, "launch": case_launch,
         "cross-entropy": case_cross_entropy, "quant-gemm": case_quant_gemm, "attention": case_attention,
         "fused-linear-ce": case_fused_linear_ce, "lora-mlp": case_lora_mlp, "gemv": case_gemv,
         "attention-decode": case_attention_decode}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="all")
    parser.add_argument("--out", default="-")
    args = parser.parse_args()
    # "all" leaves out matmul-llm-bf16 and matmul-llm-small, parts of matmul-llm
    names = [n for n in CASES if n not in ("matmul-llm-bf16", "matmul-llm-small")] if args.cases == "all" else args.cases.split(",")
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; the cases are {', '.join(CASES)}")
    out = sys.stdout if args.out == "-" else open(args.out, "a")
    for name in names:
        CASES[name](out)


if __name__ == "__main__":
    main()
