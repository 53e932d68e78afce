package dev.tessera.kernels.attention;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.Arrays;
import java.util.Map;

/**
 * Flash-decoding: attention of a few new queries (Nq = 1 to 16 a sequence: one token, or a draft's
 * tokens in speculative decoding) over a long key/value cache, split along the cache so that a
 * small batch still fills the GPU.
 *
 * <p>A decoding step is memory-bound: every byte of the cache is read once for a handful of
 * queries. One program takes one key/value head of one sequence and one of {@code splits} equal
 * runs of the cache (the grid is splits × B·Hkv, and splits is chosen so that it fills the
 * multiprocessors several times over, {@link #splitsFor}); it reads each block of keys and values
 * once for all the Hq / Hkv query heads of its group and all Nq queries (the group's rows), and
 * writes its run's normalized output and f32 log-sum-exp. A second kernel combines the runs of each
 * query: weights exp(lse_s − max lse), their sum the denominator, as FlashAttention's split-KV
 * path does. With one split the first kernel writes the output itself. The group's rows go through
 * {@code dot} on the tensor cores where they reach 16 (Hq / Hkv · Nq ≥ 16, the smallest M of an
 * instruction tile), else each row is a broadcast multiply and a sum over the head dimension.
 *
 * <p>q is (B, Hq, Nq, D) as indexed (any strides with a contiguous last dimension, as in {@link
 * FlashAttention}); the cache is either contiguous, k and v (B, Hkv, N, D) (a (B, N, Hkv, D)
 * cache as {@code x.transpose(1, 2)}), or paged: pages [numPages, pageSize, Hkv, D] and a block
 * table int32 [B, maxBlocks] of the pages each sequence holds, in order, as vLLM and
 * FlashAttention's {@code flash_attn_with_kvcache} lay them out. Sequence b has its first
 * {@code lengths[b]} positions (int32 [B]; every position of a contiguous cache without lengths).
 * Causal attention aligns the queries bottom-right: query i of Nq sees key j when j ≤ i + len − Nq
 * (the new tokens are the cache's last Nq); a query that sees no key gets zeros and a log-sum-exp
 * of -inf.
 */
public final class FlashDecoding {
    private FlashDecoding() {}

    // ------------------------------------------------------------------ kernels

    /**
     * One run of the cache for the rows of one key/value head: o and lse are the run's output
     * (f32 partials [B, Hq, Nq, splits, D] through the strides, or the output itself with one
     * split) and its log-sum-exp (contiguous [B, Hq, Nq, splits]).
     */
    @Kernel
    static void split(Tile q, Tile k, Tile v, Tile table, Tile lengths, Tile o, Tile lse,
                      Tile sqb, Tile sqh, Tile sqn, Tile skb, Tile skh, Tile skn, Tile svb, Tile svh, Tile svn, Tile stb,
                      Tile sob, Tile soh, Tile son, Tile sos, Tile kvHeads, Tile capacity, Tile splits, Tile scale,
                      @Constexpr int D, @Constexpr int BN, @Constexpr int GROUP, @Constexpr int NQ, @Constexpr boolean CAUSAL,
                      @Constexpr boolean DOT, @Constexpr int PAGE, @Constexpr boolean LENGTHS) {
        Tile run = programId(0), bkv = programId(1).to(I64), b = bkv.div(kvHeads), kvh = bkv.rem(kvHeads);
        Tile len = LENGTHS ? load(lengths.add(b)) : capacity;
        Tile chunk = cdiv(cdiv(capacity, splits), BN).mul(BN);   // a whole number of blocks, so runs never share one
        Tile start = run.mul(chunk), end = maximum(minimum(start.add(chunk), len), start);
        Tile diagonal = len.sub(NQ);   // query i sees key j ≤ i + diagonal
        // keys every row sees (no mask): below the diagonal of the first query, and before the end
        Tile seenByAll = CAUSAL ? minimum(end, maximum(diagonal.add(1), start)) : end;
        Tile fullEnd = start.add(seenByAll.sub(start).div(BN).mul(BN));
        Keys keys = new Keys(k, v, table, b, kvh, skb, skh, skn, svb, svh, svn, stb, len, D, BN, PAGE);
        Tile qkScale = scale.mul(LOG2E);   // base 2: exp(x · scale) = exp2(x · scale · log2 e)
        Tile rowBase = b.mul(kvHeads).add(kvh).mul(GROUP);   // b · Hq + the group's first head
        Tile qBase = q.add(b.mul(sqb)), oBase = o.add(b.mul(sob)).add(run.mul(sos));
        Tile rd = arange(0, D);
        if (DOT) {
            int bm = Math.max(16, nextPowerOf2(GROUP * NQ));
            Tile r = arange(0, bm), g = r.div(NQ), i = r.rem(NQ), live = r.lt(GROUP * NQ);
            Tile h = kvh.mul(GROUP).add(g);
            Tile qt = load(qBase.add(h.col().mul(sqh)).add(i.col().mul(sqn)).add(rd.row()), live.col(), 0L);   // [BM, D]
            Var m = var(full(F32, Double.NEGATIVE_INFINITY, bm)), l = var(zeros(F32, bm)), acc = var(zeros(F32, bm, D));
            for (Tile s : range(start, fullEnd, BN)) keys.dotStep(s, false, qt, qkScale, i, diagonal, CAUSAL, m, l, acc);
            for (Tile s : range(fullEnd, end, BN)) keys.dotStep(s, true, qt, qkScale, i, diagonal, CAUSAL, m, l, acc);
            Tile lv = l.get();
            store(oBase.add(h.col().mul(soh)).add(i.col().mul(son)).add(rd.row()), acc.get().div(where(lv.gt(0.0), lv, 1.0).col()), live.col());
            store(lse.add(rowBase.add(g).mul(NQ).add(i).mul(splits).add(run)), m.get().add(log2(lv)).mul(LN2), live);
            return;
        }
        Rows rows = new Rows(GROUP * NQ, D);
        for (int r = 0; r < rows.count; r++) {
            Tile h = kvh.mul(GROUP).add(r / NQ);
            rows.q[r] = load(qBase.add(h.mul(sqh)).add(sqn.mul(r % NQ)).add(rd)).to(F32).mul(qkScale);
        }
        for (Tile s : range(start, fullEnd, BN)) keys.rowStep(s, false, rows, NQ, diagonal, CAUSAL);
        for (Tile s : range(fullEnd, end, BN)) keys.rowStep(s, true, rows, NQ, diagonal, CAUSAL);
        for (int r = 0; r < rows.count; r++) {
            Tile h = kvh.mul(GROUP).add(r / NQ), lv = rows.l[r].get();
            store(oBase.add(h.mul(soh)).add(son.mul(r % NQ)).add(rd), rows.acc[r].get().div(where(lv.gt(0.0), lv, 1.0)));
            store(lse.add(rowBase.add(r / NQ).mul(NQ).add(r % NQ).mul(splits).add(run)), rows.m[r].get().add(log2(lv)).mul(LN2));
        }
    }

    /** The online softmax state of each row of a group when the rows are unrolled: q (scaled, f32), running maximum, sum and output. */
    private static final class Rows {
        final int count;
        final Tile[] q;
        final Var[] m, l, acc;

        Rows(int count, int d) {
            this.count = count;
            q = new Tile[count];
            m = new Var[count];
            l = new Var[count];
            acc = new Var[count];
            for (int r = 0; r < count; r++) {
                m[r] = var(scalar(Double.NEGATIVE_INFINITY).to(F32));
                l[r] = var(scalar(0.0).to(F32));
                acc[r] = var(zeros(F32, d));
            }
        }
    }

    /** Where one program's keys and values are: a head of one sequence, contiguous or through the block table. */
    private record Keys(Tile k, Tile v, Tile table, Tile b, Tile kvh, Tile skb, Tile skh, Tile skn, Tile svb, Tile svh, Tile svn, Tile stb,
                        Tile len, int d, int bn, int page) {

        /**
         * The element offsets of keys [s, s + BN) in a cache of strides (batch or page, position):
         * contiguous, b's positions; paged, each position's page from the table (one entry for the
         * block when a page holds whole blocks).
         */
        Tile rows(Tile s, boolean masked, Tile sBatch, Tile sPos) {
            Tile cols = s.add(arange(0, bn));
            if (page == 0) return b.mul(sBatch).add(cols.mul(sPos));
            Tile entries = table.add(b.mul(stb));
            if (bn <= page) {   // s is a multiple of BN, so the block lies in one page
                Tile p = load(entries.add(s.div(page))).to(I64);
                return p.mul(sBatch).add(s.rem(page).add(arange(0, bn)).mul(sPos));
            }
            // entries past the sequence's last page may be anything: masked positions read page 0
            Tile p = (masked ? load(entries.add(cols.div(page)), cols.lt(len), 0L) : load(entries.add(cols.div(page)))).to(I64);
            return p.mul(sBatch).add(cols.rem(page).mul(sPos));
        }

        /** Keys [s, s + BN) as [BN, D] (or kᵀ [D, BN] when {@code transposed}) and values [BN, D], zero past the sequence when masked. */
        Tile[] load2(Tile s, boolean masked, boolean transposed) {
            Tile cols = s.add(arange(0, bn)), rd = arange(0, d);
            Tile kRows = rows(s, masked, skb, skn), vRows = rows(s, masked, svb, svn);
            Tile kHead = k.add(kvh.mul(skh)), vHead = v.add(kvh.mul(svh));
            Tile kPtr = transposed ? kHead.add(kRows.row()).add(rd.col()) : kHead.add(kRows.col()).add(rd.row());
            Tile vPtr = vHead.add(vRows.col()).add(rd.row());
            Tile inSeq = transposed ? cols.row().lt(len) : cols.col().lt(len);
            Tile kt = masked ? load(kPtr, inSeq, 0L) : load(kPtr);
            Tile vt = masked ? load(vPtr, cols.col().lt(len), 0L) : load(vPtr);
            return new Tile[] {kt, vt};
        }

        /** The online softmax of the group's rows [BM] over keys [s, s + BN) on the tensor cores; i is each row's query. */
        void dotStep(Tile s, boolean masked, Tile qt, Tile qkScale, Tile i, Tile diagonal, boolean causal, Var m, Var l, Var acc) {
            Tile[] kv = load2(s, masked, true);
            Tile scores = dot(qt, kv[0]);   // [BM, BN]
            if (masked) scores = where(visible(i.col(), s.add(arange(0, bn)).row(), diagonal, causal), scores, Double.NEGATIVE_INFINITY);
            FlashAttention.onlineSoftmax(scores, qkScale, masked, () -> kv[1], qt.elementType(), m, l, acc);
        }

        /** The same for rows unrolled at trace time: each row's scores are a broadcast multiply of its query and a sum over D. */
        void rowStep(Tile s, boolean masked, Rows rows, int nq, Tile diagonal, boolean causal) {
            Tile[] kv = load2(s, masked, false);
            Tile kf = kv[0].to(F32), vf = kv[1].to(F32), cols = s.add(arange(0, bn));
            for (int r = 0; r < rows.count; r++) {
                Var m = rows.m[r], l = rows.l[r], acc = rows.acc[r];
                Tile scores = sum(kf.mul(rows.q[r].row()), 1);   // [BN]
                if (masked) scores = where(visible(scalar(r % nq), cols, diagonal, causal), scores, Double.NEGATIVE_INFINITY);
                Tile mNew = maximum(m.get(), max(scores, 0));
                Tile shift = masked ? where(mNew.eq(Double.NEGATIVE_INFINITY), 0.0, mNew) : mNew;
                Tile p = exp2(scores.sub(shift)), alpha = exp2(m.get().sub(shift));
                l.set(l.get().mul(alpha).add(sum(p, 0)));
                acc.set(acc.get().mul(alpha).add(sum(p.col().mul(vf), 0)));
                m.set(mNew);
            }
        }

        /** Whether query i sees key j: j is in the sequence, and j ≤ i + diagonal when causal. */
        Tile visible(Tile i, Tile j, Tile diagonal, boolean causal) {
            Tile ok = j.lt(len);
            return causal ? ok.and(j.le(i.add(diagonal))) : ok;
        }
    }

    /**
     * out [B, Hq, Nq, D] (through strides) and lse (contiguous f32 [B, Hq, Nq]) of each query from
     * its runs' partial outputs (contiguous f32 [B, Hq, Nq, splits, D]) and log-sum-exps: weights
     * exp(lse_s − max), zero for a run that saw no key.
     */
    @Kernel
    static void combine(Tile partOut, Tile partLse, Tile out, Tile lse, Tile sob, Tile soh, Tile son, Tile heads, Tile nq, Tile splits,
                        @Constexpr int D, @Constexpr int BS) {
        Tile row = programId(0).to(I64), bh = row.div(nq), i = row.rem(nq), b = bh.div(heads), h = bh.rem(heads);
        Tile rs = arange(0, BS), rd = arange(0, D), live = rs.lt(splits), parts = row.mul(splits).add(rs);
        Tile runLse = load(partLse.add(parts), live, Double.NEGATIVE_INFINITY);
        Tile mx = max(runLse, 0);
        Tile w = exp(runLse.sub(where(mx.eq(Double.NEGATIVE_INFINITY), 0.0, mx)));   // all -inf: every weight 0, no NaN
        Tile total = sum(w, 0);
        Tile runOut = load(partOut.add(parts.col().mul(D)).add(rd.row()), live.col(), 0.0);
        store(out.add(b.mul(sob).add(h.mul(soh)).add(i.mul(son))).add(rd), sum(runOut.mul(w.col()), 0).div(where(total.gt(0.0), total, 1.0)));
        store(lse.add(row), mx.add(log(total)));
    }

    public static final JitKernel SPLIT = Jit.kernel(FlashDecoding.class, "split");
    public static final JitKernel COMBINE = Jit.kernel(FlashDecoding.class, "combine");

    // ------------------------------------------------------------------ configs, options, the cache

    /** The most runs a cache is split into (the combine kernel holds every run's output of a query at once). */
    public static final int MAX_SPLITS = 64;

    /**
     * Programs to aim for per multiprocessor: a program issues one block of keys and values and then
     * computes on it, so several resident programs keep the memory busy while each computes. On an
     * H200 (B 8, Hkv 8, one warp a program on dot) 8 beat 4 at every cache length: 57.8 against
     * 62.2 µs at N 4k, 522.8 against 612.9 µs at 64k.
     */
    static final int PROGRAMS_PER_SM = 8;

    /** The fewest blocks of keys a run should have, so that its fixed costs (queries, stores, a combine term) stay small. */
    static final int MIN_BLOCKS_PER_SPLIT = 2;

    /**
     * The blocking of the split kernel: BN keys a step, warps and pipeline stages, and whether the
     * group's rows go through {@code dot} (padded to at least 16 rows) or are unrolled as broadcast
     * multiply-and-sums.
     */
    public record Config(int bn, int warps, int stages, boolean dot) {
        public Config {
            if (bn < 16 || Integer.bitCount(bn) != 1) {
                throw new IllegalArgumentException("decoding config BN=" + bn + ": a block of keys is a power of 2 of at least 16");
            }
            new dev.tessera.backend.LaunchOptions(warps, stages);   // checks warps and stages with their own messages
        }

        @Override
        public String toString() { return "BN=" + bn + ",warps=" + warps + ",stages=" + stages + "," + (dot ? "dot" : "rows"); }

        /**
         * The default for {@code rows} = Hq / Hkv · Nq rows a program and head dimension d. On a GPU
         * always dot, the rows padded to 16 (M of an instruction tile), one warp per 16 rows up to 4,
         * blocks of 32 keys pipelined through shared memory in 3 stages: on an H200 with 4 rows (GQA
         * 4:1, one query) and D 128 that read the cache at 2158–3504 GB/s (N 4k–64k) where the
         * unrolled rows at 64 keys and 4 warps read it at 765–820 (their sums over D and over the
         * keys cross lanes and warps every block). On the CPU the rows are unrolled below 16.
         */
        public static Config of(int rows, int d, Device device) {
            if (device.backend().equals("cpu")) return new Config(32, 4, 1, rows >= 16);
            return new Config(32, Math.min(4, Math.max(16, nextPowerOf2(rows)) / 16), 3, true);
        }
    }

    /**
     * What to compute: causal (bottom-right aligned; with one query the same as full) or not, the
     * softmax scale (NaN for 1/√D); how: the number of runs the cache is split into (0 chooses,
     * {@link #splitsFor}) and the blocking (null for {@link Config#of}).
     */
    public record Options(boolean causal, double scale, int splits, Config config) {
        public Options {
            FlashAttention.checkScale(scale);
            if (splits < 0 || splits > MAX_SPLITS) {
                throw new IllegalArgumentException("splits " + splits + ": give 1 to " + MAX_SPLITS + " runs of the cache, or 0 to choose");
            }
        }

        /** Full attention, scale 1/√D, splits and blocking chosen. */
        public static final Options DEFAULT = new Options(false, Double.NaN, 0, null);

        /** Causal attention (the queries are the cache's last Nq positions), scale 1/√D. */
        public static final Options CAUSAL = DEFAULT.withCausal(true);

        public Options withCausal(boolean c) { return new Options(c, scale, splits, config); }

        public Options withScale(double s) { return new Options(causal, s, splits, config); }

        /** Split the cache into {@code n} runs (0: choose). */
        public Options withSplits(int n) { return new Options(causal, scale, n, config); }

        public Options withConfig(Config c) { return new Options(causal, scale, splits, c); }

        double scaleFor(int d) { return Double.isNaN(scale) ? 1 / Math.sqrt(d) : scale; }
    }

    /**
     * A key/value cache: k and v contiguous (B, Hkv, N, D) or paged [numPages, pageSize, Hkv, D]
     * with the block table int32 [B, maxBlocks]; lengths int32 [B] (null for every position of a
     * contiguous cache). The tensors are the caller's: the cache does not close them.
     */
    public record Cache(Tensor k, Tensor v, Tensor blockTable, Tensor lengths) {

        /** A contiguous cache whose every position is filled: k and v (B, Hkv, N, D), (B, N, Hkv, D) in memory as {@code x.transpose(1, 2)}. */
        public static Cache of(Tensor k, Tensor v) { return new Cache(k, v, null, null); }

        /** A contiguous cache of which sequence b holds its first {@code lengths[b]} positions (int32 [B], at most N). */
        public static Cache of(Tensor k, Tensor v, Tensor lengths) { return new Cache(k, v, null, lengths); }

        /**
         * A paged cache: k and v [numPages, pageSize, Hkv, D] (pageSize a power of 2), sequence b's
         * position j in page {@code blockTable[b, j / pageSize]} at row j % pageSize, for j below
         * {@code lengths[b]}.
         */
        public static Cache paged(Tensor k, Tensor v, Tensor blockTable, Tensor lengths) {
            if (blockTable == null || lengths == null) throw new IllegalArgumentException("a paged cache needs its block table and the sequences' lengths");
            return new Cache(k, v, blockTable, lengths);
        }

        public boolean isPaged() { return blockTable != null; }
    }

    /**
     * Scratch memory for one problem's shapes and number of runs, to reuse across decoding steps:
     * the f32 log-sum-exp of each query [B, Hq, Nq] (natural log, -inf for a query that sees no
     * key) and, with more than one run, each run's f32 output [B, Hq, Nq, splits, D] and
     * log-sum-exp [B, Hq, Nq, splits] (null with one).
     */
    public record Workspace(int splits, Tensor lse, Tensor partialOut, Tensor partialLse) implements AutoCloseable {

        /** A workspace for attention of q over {@code cache}, its number of runs from the options, else {@link #splitsFor}. */
        public static Workspace of(Tensor q, Cache cache, Options options) {
            Problem p = Problem.of(q, cache);
            Device dev = q.device();
            int splits = options.splits() > 0 ? options.splits()
                    : splitsFor(p.b * p.hkv, p.capacity, configFor(p, options, dev).bn(), multiprocessors(dev));
            Tensor lse = Tensor.empty(DType.F32, dev, p.b, p.hq, p.nq);
            if (splits == 1) return new Workspace(1, lse, null, null);
            return new Workspace(splits, lse, Tensor.empty(DType.F32, dev, p.b, p.hq, p.nq, splits, p.d), Tensor.empty(DType.F32, dev, p.b, p.hq, p.nq, splits));
        }

        @Override
        public void close() {
            lse.close();
            if (partialOut != null) partialOut.close();
            if (partialLse != null) partialLse.close();
        }
    }

    /**
     * How many runs to split a cache of {@code capacity} positions into, for {@code programs} =
     * B·Hkv programs a run and blocks of {@code bn} keys: enough runs for {@link #PROGRAMS_PER_SM}
     * programs on each of the device's {@code multiprocessors}, at least {@link
     * #MIN_BLOCKS_PER_SPLIT} blocks a run, at most {@link #MAX_SPLITS}. One run when the batch's
     * heads fill the device by themselves.
     */
    public static int splitsFor(int programs, int capacity, int bn, int multiprocessors) {
        int wanted = cdiv(PROGRAMS_PER_SM * multiprocessors, programs), blocks = cdiv(capacity, bn);
        return Math.max(1, Math.min(Math.min(wanted, MAX_SPLITS), blocks / MIN_BLOCKS_PER_SPLIT));
    }

    /** The device's multiprocessors (CPU: cores), as its backend lists them. */
    static int multiprocessors(Device dev) { return dev.info().multiprocessors(); }

    private static Config configFor(Problem p, Options options, Device dev) {
        return options.config() != null ? options.config() : Config.of(p.hq / p.hkv * p.nq, p.d, dev);
    }

    // ------------------------------------------------------------------ the API

    /** Attention of q (B, Hq, Nq, D) over the cache into a new tensor like q (with a workspace made for the call). */
    public static Tensor attend(Tensor q, Cache cache, Options options) {
        Tensor out = FlashAttention.emptyLike(q);
        try (Workspace ws = Workspace.of(q, cache, options)) {
            attend(q, cache, out, options, ws);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** Attention of q over the cache into {@code out} (like q) and {@code ws.lse()}, in {@code ws.splits()} runs; allocates nothing. */
    public static void attend(Tensor q, Cache cache, Tensor out, Options options, Workspace ws) {
        Problem p = Problem.of(q, cache);
        p.requireOut(out);
        p.requireWorkspace(ws);
        Config c = configFor(p, options, q.device());
        int group = p.hq / p.hkv, splits = ws.splits();
        Tensor k = cache.k(), v = cache.v();
        // a paged cache's dimensions are (page, position in the page, head); a contiguous one's (sequence, head, position)
        int[] ks = cache.isPaged() ? new int[] {i(k.stride(0)), i(k.stride(2)), i(k.stride(1))} : new int[] {i(k.stride(0)), i(k.stride(1)), i(k.stride(2))};
        int[] vs = cache.isPaged() ? new int[] {i(v.stride(0)), i(v.stride(2)), i(v.stride(1))} : new int[] {i(v.stride(0)), i(v.stride(1)), i(v.stride(2))};
        boolean direct = splits == 1;
        Tensor o = direct ? out : ws.partialOut(), runLse = direct ? ws.lse() : ws.partialLse();
        int[] os = direct ? new int[] {i(out.stride(0)), i(out.stride(1)), i(out.stride(2)), 0}
                : new int[] {i(o.stride(0)), i(o.stride(1)), i(o.stride(2)), i(o.stride(3))};
        // an absent block table or lengths: the log-sum-exp stands in for the pointer (the kernel never reads it)
        Tensor table = cache.isPaged() ? cache.blockTable() : ws.lse(), lengths = cache.lengths() != null ? cache.lengths() : ws.lse();
        SPLIT.withOptions(c.warps(), c.stages()).launch(grid(splits, p.b * p.hkv), new Object[] {q, k, v, table, lengths, o, runLse,
                i(q.stride(0)), i(q.stride(1)), i(q.stride(2)), ks[0], ks[1], ks[2], vs[0], vs[1], vs[2], cache.isPaged() ? i(table.stride(0)) : 0,
                os[0], os[1], os[2], os[3], p.hkv, p.capacity, splits, (float) options.scaleFor(p.d)},
                Map.of("D", p.d, "BN", c.bn(), "GROUP", group, "NQ", p.nq, "CAUSAL", options.causal() && p.nq > 1, "DOT", c.dot(),
                        "PAGE", p.page, "LENGTHS", cache.lengths() != null));
        if (!direct) {
            COMBINE.withOptions(4, 1).launch(grid(p.b * p.hq * p.nq), ws.partialOut(), ws.partialLse(), out, ws.lse(),
                    i(out.stride(0)), i(out.stride(1)), i(out.stride(2)), p.hq, p.nq, splits, p.d, nextPowerOf2(splits));
        }
    }

    private static int i(long stride) { return Math.toIntExact(stride); }

    /** The sizes of one decoding problem, checked: capacity is the positions a sequence can hold, page 0 for a contiguous cache. */
    record Problem(DType dtype, Device device, int b, int hq, int hkv, int nq, int d, int capacity, int page) {
        /** The most rows (Hq / Hkv · Nq) one program takes: longer query runs are prefill, {@link FlashAttention}'s work. */
        static final int MAX_ROWS = 128;

        static Problem of(Tensor q, Cache cache) {
            Tensor k = cache.k(), v = cache.v();
            if (q.rank() != 4 || q.stride(3) != 1) throw new IllegalArgumentException("decoding takes q as (B, Hq, Nq, D) with a contiguous last dimension, not " + q);
            if (q.dtype() != DType.F16 && q.dtype() != DType.BF16) throw new IllegalArgumentException("decoding takes f16 or bf16 queries, not " + q);
            for (Tensor t : new Tensor[] {k, v}) {
                if (t.rank() != 4 || t.stride(3) != 1) {
                    throw new IllegalArgumentException("the cache's k and v are " + (cache.isPaged() ? "[numPages, pageSize, Hkv, D]" : "(B, Hkv, N, D)")
                            + " with a contiguous last dimension, not " + t);
                }
                if (t.dtype() != q.dtype()) throw new IllegalArgumentException("the cache must have q's dtype " + q.dtype() + ", not " + t);
                if (!t.device().equals(q.device())) throw new IllegalArgumentException("q and the cache must be on one device: " + q + ", " + t);
            }
            if (!Arrays.equals(k.shape(), v.shape())) throw new IllegalArgumentException("k and v must have one shape: " + k + ", " + v);
            int b = i(q.shape(0)), hq = i(q.shape(1)), nq = i(q.shape(2)), d = i(q.shape(3));
            int hkv = i(k.shape(cache.isPaged() ? 2 : 1)), page = cache.isPaged() ? i(k.shape(1)) : 0;
            if (k.shape(3) != d) throw new IllegalArgumentException("the cache's head dimension must be q's " + d + ": " + k);
            if (d < 16 || d > 256 || Integer.bitCount(d) != 1) throw new IllegalArgumentException("head dimension " + d + ": decoding takes 16, 32, 64, 128 or 256");
            if (hkv < 1 || hq % hkv != 0) throw new IllegalArgumentException(hq + " query heads cannot share " + hkv + " key/value heads (Hq must be a multiple of Hkv)");
            if (b < 1 || nq < 1) throw new IllegalArgumentException("decoding of an empty batch or no queries: q " + q);
            if (hq / hkv * nq > MAX_ROWS) {
                throw new IllegalArgumentException((hq / hkv) + " heads a group times " + nq + " queries is more than the " + MAX_ROWS
                        + " rows one program takes: attend that many queries with FlashAttention.forward");
            }
            int capacity;
            if (cache.isPaged()) {
                Tensor t = cache.blockTable();
                if (Integer.bitCount(page) != 1) throw new IllegalArgumentException("page size " + page + " of " + k + ": pages hold a power of 2 of positions");
                if (t.dtype() != DType.I32 || t.rank() != 2 || t.shape(0) != b || t.stride(1) != 1 || !t.device().equals(q.device())) {
                    throw new IllegalArgumentException("the block table must be an int32 [" + b + ", maxBlocks] tensor with contiguous rows on " + q.device() + ", not " + t);
                }
                capacity = Math.multiplyExact(i(t.shape(1)), page);
            } else {
                if (k.shape(0) != b) throw new IllegalArgumentException("the cache's batch must be q's " + b + ": " + k);
                capacity = i(k.shape(2));
            }
            Tensor lengths = cache.lengths();
            if (lengths != null && (lengths.dtype() != DType.I32 || lengths.rank() != 1 || lengths.shape(0) != b || !lengths.isContiguous()
                    || !lengths.device().equals(q.device()))) {
                throw new IllegalArgumentException("lengths must be a contiguous int32 [" + b + "] tensor on " + q.device() + ", not " + lengths);
            }
            if (capacity < 1) throw new IllegalArgumentException("a cache of no positions: " + k);
            // positions are counted in int32 inside a sequence (or a page and the table's row)
            if ((long) capacity * Math.max(k.stride(cache.isPaged() ? 1 : 2), v.stride(cache.isPaged() ? 1 : 2)) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("a sequence of the cache spans more than 2^31 elements: " + k);
            }
            return new Problem(q.dtype(), q.device(), b, hq, hkv, nq, d, capacity, page);
        }

        void requireOut(Tensor out) {
            if (out.dtype() != dtype || !out.device().equals(device) || out.rank() != 4 || out.shape(0) != b || out.shape(1) != hq || out.shape(2) != nq || out.shape(3) != d || out.stride(3) != 1) {
                throw new IllegalArgumentException("out must be a " + dtype + " [" + b + ", " + hq + ", " + nq + ", " + d + "] tensor with a contiguous last dimension, not " + out);
            }
        }

        void requireWorkspace(Workspace ws) {
            long[] rows = {b, hq, nq};
            boolean ok = Arrays.equals(ws.lse().shape(), rows) && (ws.splits() == 1
                    || Arrays.equals(ws.partialLse().shape(), new long[] {b, hq, nq, ws.splits()})
                    && Arrays.equals(ws.partialOut().shape(), new long[] {b, hq, nq, ws.splits(), d}));
            if (!ok) throw new IllegalArgumentException("the workspace " + ws + " was made for another problem: make it with Workspace.of(q, cache, options)");
        }
    }
}
