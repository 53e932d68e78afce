import torch, triton
dt = torch.bfloat16
for n in (4096, 16384, 65536):
    b, hq, hkv, d = 8, 32, 8, 128
    q = torch.randn(b, hq, 1, d, device="cuda", dtype=dt)
    k = torch.randn(b, hkv, n, d, device="cuda", dtype=dt); v = torch.randn_like(k)
    f = lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    ms = triton.testing.do_bench(f)
    print(f"torch sdpa decode b8 N={n}: {ms*1e3:.1f} us {2*b*hkv*n*d*2/ms/1e6:.0f} GB/s")
for (t, nn, kk) in ((1, 4096, 4096), (1, 8192, 8192), (1, 16384, 16384), (1, 11008, 4096), (1, 4096, 11008), (8, 4096, 4096), (16, 128256, 4096)):
    x = torch.randn(t, kk, device="cuda", dtype=dt); w = torch.randn(nn, kk, device="cuda", dtype=dt)
    f = lambda: torch.nn.functional.linear(x, w)
    ms = triton.testing.do_bench(f)
    print(f"torch gemv {t}x{nn}x{kk}: {ms*1e3:.1f} us {2*(nn*kk+t*kk+t*nn)/ms/1e6:.0f} GB/s")
