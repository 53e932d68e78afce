package dev.tessera.cuda.codegen;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.lang.Precision;

/** Small versions of the demo kernels: what must compile without spills and run at full bandwidth. */
public final class DemoKernels {
    private DemoKernels() {}

    @Kernel
    public static void add(Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask).add(load(y.add(offs), mask)), mask);
    }

    @Kernel
    public static void copy(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask), mask);
    }

    /** One row per program. */
    @Kernel
    public static void softmax(Tile x, Tile out, Tile stride, Tile n, @Constexpr int BLOCK) {
        Tile row = programId(0);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile v = load(x.add(row.mul(stride)).add(cols), mask, Double.NEGATIVE_INFINITY).to(F32);
        Tile e = exp(v.sub(max(v, 0)));
        store(out.add(row.mul(stride)).add(cols), e.div(sum(e, 0)).to(out.elementType()), mask);
    }

    /** Layer norm of one row per program, with weight and bias. */
    @Kernel
    public static void layerNorm(Tile x, Tile w, Tile b, Tile out, Tile stride, Tile n, Tile eps, @Constexpr int BLOCK) {
        Tile row = programId(0);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile v = load(x.add(row.mul(stride)).add(cols), mask, 0.0).to(F32);
        Tile mean = sum(v, 0).div(n.to(F32));
        Tile d = where(mask, v.sub(mean), 0.0);
        Tile var = sum(d.mul(d), 0).div(n.to(F32));
        Tile inv = rsqrt(var.add(eps));
        Tile y = d.mul(inv).mul(load(w.add(cols), mask, 0.0).to(F32)).add(load(b.add(cols), mask, 0.0).to(F32));
        store(out.add(row.mul(stride)).add(cols), y.to(out.elementType()), mask);
    }

    /** 2-D tiles: a block of rows per program, reduced along the row. */
    @Kernel
    public static void softmax2d(Tile x, Tile out, Tile rows, Tile n, @Constexpr int BM, @Constexpr int BN) {
        Tile r = programId(0).mul(BM).add(arange(0, BM));
        Tile c = arange(0, BN);
        Tile mask = r.col().lt(rows).and(c.row().lt(n));
        Tile offs = r.col().mul(n).add(c.row());
        Tile v = load(x.add(offs), mask, Double.NEGATIVE_INFINITY);
        Tile e = exp(v.sub(max(v, 1).col()));
        store(out.add(offs), e.div(sum(e, 1).col()), mask);
    }

    @Kernel
    public static void matmul(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile pm = programId(0), pn = programId(1);
        Tile rm = pm.mul(BM).add(arange(0, BM)), rn = pn.mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, K, BK)) {
            Tile ka = k.add(rk);
            Tile at = load(a.add(rm.col().mul(K)).add(ka.row()), rm.col().lt(M).and(ka.row().lt(K)), 0.0);
            Tile bt = load(b.add(ka.col().mul(N)).add(rn.row()), ka.col().lt(K).and(rn.row().lt(N)), 0.0);
            acc.set(dot(at, bt, acc.get(), Precision.IEEE));
        }
        store(c.add(rm.col().mul(N)).add(rn.row()), acc.get().to(c.elementType()), rm.col().lt(M).and(rn.row().lt(N)));
    }

    /** Flash attention's forward loop for one block of queries (one head): online softmax over key blocks, P·V with P in registers. */
    @Kernel
    public static void attention(Tile q, Tile k, Tile v, Tile o, Tile n, Tile scale, @Constexpr int D, @Constexpr int BM, @Constexpr int BN) {
        Tile start = programId(0).mul(BM);
        Tile rm = start.add(arange(0, BM)), rn = arange(0, BN), rd = arange(0, D);
        Tile qt = load(q.add(rm.col().mul(D)).add(rd.row()), rm.col().lt(n), 0.0);
        Var m = var(full(F32, Double.NEGATIVE_INFINITY, BM)), l = var(zeros(F32, BM)), acc = var(zeros(F32, BM, D));
        for (Tile s : range(0, n, BN)) {
            Tile cols = s.add(rn);
            Tile kt = load(k.add(cols.row().mul(D)).add(rd.col()), cols.row().lt(n), 0.0);
            Tile scores = where(cols.row().lt(n), dot(qt, kt).mul(scale), Double.NEGATIVE_INFINITY);
            Tile mNew = maximum(m.get(), max(scores, 1));
            Tile p = exp2(scores.sub(mNew.col())), alpha = exp2(m.get().sub(mNew));
            l.set(l.get().mul(alpha).add(sum(p, 1)));
            Tile vt = load(v.add(cols.col().mul(D)).add(rd.row()), cols.col().lt(n), 0.0);
            acc.set(acc.get().mul(alpha.col()).add(dot(p.to(vt.dtype()), vt)));
            m.set(mNew);
        }
        store(o.add(rm.col().mul(D)).add(rd.row()), acc.get().div(l.get().col()).to(o.elementType()), rm.col().lt(n));
    }
}
