package dev.tessera.kernels.matmul;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.MemoryOrder;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.lang.Precision;

/**
 * The matmul kernels, C = A·B for strided A [M, K] and B [K, N]. Programs walk the output in groups
 * of GROUP rows of tiles, so programs running at the same time share rows of A and columns of B in
 * cache; each accumulates its [BM, BN] tile over K in steps of BK, in f32 for floating-point inputs
 * (f16, bf16, f32 as tf32 or in full precision) and in i32 for i8 inputs, and stores it converted
 * to C's dtype; {@code fused} adds a scale, a low-rank term and accumulation into C in its epilogue.
 * {@link Matmul} launches them.
 *
 * <p>With SPLIT &gt; 1 (float inputs only) the K steps of a tile are shared by SPLIT programs
 * (grid axis 1), for outputs with too few tiles to fill the GPU (64 rows by 4096 columns are 32
 * tiles of 64×128 on 132 SMs). Each writes its f32 partial tile into {@code partials} and counts
 * itself in the tile's {@code arrivals} counter; the last to arrive sums the SPLIT partials in
 * slice order (so the result does not depend on which program came last), stores C and sets the
 * counter back to 0 for the next launch (the serial split-K of CUTLASS: one launch, no memset).
 */
public final class MatmulKernel {
    private MatmulKernel() {}

    @Kernel
    static void matmul(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K,
                       Tile sam, Tile sak, Tile sbk, Tile sbn, Tile scm, Tile scn, Tile partials, Tile arrivals,
                       @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP, @Constexpr int SPLIT,
                       @Constexpr boolean IEEE) {
        Block t = block(a, b, M, N, K, sam, sak, sbk, sbn, BM, BN, BK, GROUP, SPLIT, IEEE);
        Tile cPtr = c.add(t.rm().col().mul(scm)).add(t.rn().row().mul(scn)), inside = t.mask(M, N);
        if (SPLIT == 1) {
            store(cPtr, t.acc(), inside);
            return;
        }
        Tile pid = programId(0), within = arange(0, BM).col().mul(BN).add(arange(0, BN).row());
        Tile slices = partials.add(pid.to(I64).mul(SPLIT * BM * BN));
        store(slices.add(programId(1).to(I64).mul(BM * BN)).add(within), t.acc());
        lastToArrive(arrivals.add(pid), arrived -> arrived.eq(SPLIT - 1), () -> {
            Var sum = var(zeros(F32, BM, BN));
            for (Tile s : range(0, SPLIT)) {
                // past L1: the other slices were written by other multiprocessors
                sum.set(sum.get().add(load(slices.add(s.to(I64).mul(BM * BN)).add(within), null, null, MemoryOrder.Cache.CG,
                        MemoryOrder.Eviction.NORMAL)));
            }
            store(cPtr, sum.get(), inside);
        });
    }

    /**
     * Counts this program in on {@code counter} once its partial is written, and where
     * {@code isLast} says (of the count before its own) that it is the last to arrive, runs
     * {@code sum} and sets the counter back to 0 for the next launch: split-K's and stream-K's
     * handing of a tile to the program that completes it.
     */
    private static void lastToArrive(Tile counter, java.util.function.UnaryOperator<Tile> isLast, Runnable sum) {
        // every thread's partial is written before one thread counts the program in (release, GPU scope)
        debugBarrier();
        Tile arrived = atomicAdd(counter, 1L);
        when(isLast.apply(arrived), () -> {
            sum.run();
            store(counter, 0L, null);
        });
    }

    /**
     * C = α·A·B + (β·P)·Q (+ C with ACCUMULATE): the matmul with an epilogue that a linear layer's
     * training needs. A low-rank term P [M, R] · Q [R, N] (LoRA's (X·A)·B, R ≤ RANK, RANK a power of 2
     * of at least 16; 0 for none) is a second dot into the same accumulator after the K loop, so it
     * costs no pass over C; ACCUMULATE adds C's old values (a weight gradient summed over chunks of
     * tokens). β scales P's tile in registers, rounded to P's dtype (exact for a power of 2). Not
     * split along K: SPLIT is 1 (the tuner's configs name it).
     */
    @Kernel
    static void fused(Tile a, Tile b, Tile c, Tile p, Tile q, Tile M, Tile N, Tile K, Tile R,
                      Tile sam, Tile sak, Tile sbk, Tile sbn, Tile scm, Tile scn, Tile spm, Tile spr, Tile sqr, Tile sqn,
                      Tile alpha, Tile beta,
                      @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP, @Constexpr int SPLIT,
                      @Constexpr int RANK, @Constexpr boolean ACCUMULATE, @Constexpr boolean IEEE) {
        Block t = block(a, b, M, N, K, sam, sak, sbk, sbn, BM, BN, BK, GROUP, 1, IEEE);
        Tile acc = t.acc().mul(alpha);
        Tile mask = t.mask(M, N);
        if (RANK > 0) {
            Tile rr = arange(0, RANK);
            Tile pt = load(p.add(t.rm().col().mul(spm)).add(rr.row().mul(spr)), t.rm().col().lt(M).and(rr.row().lt(R)), 0);
            Tile qt = load(q.add(rr.col().mul(sqr)).add(t.rn().row().mul(sqn)), rr.col().lt(R).and(t.rn().row().lt(N)), 0);
            acc = dot(pt.to(F32).mul(beta).to(p.elementType()), qt, acc, IEEE ? Precision.IEEE : null);
        }
        Tile cPtr = c.add(t.rm().col().mul(scm)).add(t.rn().row().mul(scn));
        if (ACCUMULATE) acc = acc.add(load(cPtr, mask, 0).to(F32));
        store(cPtr, acc, mask);
    }

    /**
     * C = A·B for 16-bit A [M, K] and B read through tensor descriptors: B [K, N], or with
     * B_TRANSPOSED a row-major W [N, K] (a linear layer's x·Wᵀ) whose blocks are transposed into
     * the dot. On sm_90 each K step's blocks are copied by the tensor-memory accelerator straight
     * into wgmma's swizzled slots (no per-thread addresses, masks or cp.async: the unit zero-fills
     * past the edges); elsewhere the descriptors are masked loads. C is stored through a pointer,
     * masked, converted to its dtype.
     */
    @Kernel
    static void descriptors(TensorDesc a, TensorDesc b, Tile c, Tile M, Tile N, Tile K, Tile scm, Tile scn,
                            @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP, @Constexpr boolean B_TRANSPOSED) {
        Tile[] at = tileOrigin(programId(0), M, N, BM, BN, GROUP);
        storeTile(c, M, N, scm, scn, at, descriptorProduct(a, b, at[0], at[1], K, BM, BN, BK, B_TRANSPOSED, null));
    }

    /**
     * {@link #descriptors}, persistent: a program per multiprocessor (the grid the host launches)
     * walks the output tiles t = program, program + programs, ... in the grouped order, so that no
     * block is launched after the first wave and, on Hopper, the copy unit and the tensor cores of
     * each multiprocessor go from one tile to the next without a launch between them.
     *
     * <p>With STREAM_K the last one to two waves of tiles are not dealt out whole: their K steps,
     * laid end to end, are cut into one equal run a program (stream-K, Osama et al. 2023), so that
     * no multiprocessor idles through a part-empty last wave (512 × 11008 in tiles of 128 × 128 are
     * 344 tiles, 2.6 waves on 132 SMs). The waves before are whole tiles as without it, and so are
     * all of them where they make whole waves. A tile that several runs share is summed as split-K
     * sums a slice: each writes its f32 partial into {@code partials} (two slots a program: its
     * first and its last tile are the only ones it can share) and counts itself in the tile's
     * {@code arrivals}; the last to arrive sums the partials in program order (the result does not
     * depend on who came last), stores C and sets the counter back to 0 for the next launch.
     */
    @Kernel
    static void persistentDescriptors(TensorDesc a, TensorDesc b, Tile c, Tile M, Tile N, Tile K, Tile scm, Tile scn, Tile partials, Tile arrivals,
                                      @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP, @Constexpr boolean B_TRANSPOSED,
                                      @Constexpr boolean STREAM_K) {
        Tile tiles = cdiv(M, BM).mul(cdiv(N, BN)), programs = numPrograms(0), program = programId(0);
        // with STREAM_K, whole tiles for all waves but the last one or two (whose K steps are shared out below);
        // all of them when they make whole waves
        Tile whole = STREAM_K ? where(tiles.rem(programs).eq(0), tiles, maximum(tiles.div(programs).sub(1), 0L).mul(programs)) : tiles;
        for (Tile t : range(program, whole, programs)) {
            Tile[] at = tileOrigin(t, M, N, BM, BN, GROUP);
            storeTile(c, M, N, scm, scn, at, descriptorProduct(a, b, at[0], at[1], K, BM, BN, BK, B_TRANSPOSED, null));
        }
        if (!STREAM_K) return;
        // the rest's K steps end to end, a run of `per` of them a program: [start, end)
        Tile steps = cdiv(K, BK), shared = tiles.sub(whole).mul(steps), per = cdiv(shared, programs);
        Tile start = program.mul(per), end = minimum(start.add(per), shared);
        for (Tile u : range(start.div(steps), cdiv(end, steps))) {
            Tile first = u.mul(steps);
            Tile[] at = tileOrigin(whole.add(u), M, N, BM, BN, GROUP);
            Tile acc = descriptorSteps(a, b, at[0], at[1], maximum(start.sub(first), 0L), minimum(end.sub(first), steps), BM, BN, BK, B_TRANSPOSED, null);
            // the programs whose runs meet this tile: from its first step's to its last step's. A tile one run holds
            // whole goes through the workspace too: with a second store of the accumulator, straight to C in a branch
            // of its own, ptxas spilled 88-136 bytes on 128-register accumulators
            Tile from = first.div(per), to = first.add(steps).sub(1).div(per);
            store(streamKPartial(partials, program, start, u, steps, 0, BM, BM, BN), acc);
            lastToArrive(arrivals.add(u), arrived -> arrived.eq(to.sub(from)), () -> {
                // summed a chunk of rows at a time: a whole tile and the piece being added would be two accumulators' registers
                int rows = streamKSumRows(BM, BN);
                for (int r = 0; r < BM; r += rows) {
                    Var sum = var(zeros(F32, rows, BN));
                    for (Tile q : range(from, to.add(1))) {
                        // past L1: the other partials were written by other multiprocessors
                        sum.set(sum.get().add(load(streamKPartial(partials, q, q.mul(per), u, steps, r, rows, BM, BN), null, null,
                                MemoryOrder.Cache.CG, MemoryOrder.Eviction.NORMAL)));
                    }
                    storeTile(c, M, N, scm, scn, new Tile[] {at[0].add(r), at[1]}, sum.get());
                }
            });
        }
    }

    /** Rows of the stream-K sum's chunks: 8192 values (64 × 128), 32 registers a thread on 8 warps. */
    private static int streamKSumRows(int BM, int BN) { return Math.max(1, Math.min(BM, 8192 / BN)); }

    /**
     * Pointers to rows [r, r + rows) of the partial tile program {@code q} (its run starting at step
     * {@code start}) writes for shared tile {@code u}: slot 0 of its two, BM·BN values each, for the
     * first tile of its run, slot 1 for the last. The slot's row joins the aranges before anything
     * else, so that nothing of [rows, 1] or more is invariant in the loop over tiles: hoisted out of
     * it, such offsets held their registers through the K loop beside the accumulator (ptxas
     * spilled 20-152 bytes on 128-register accumulators before).
     */
    private static Tile streamKPartial(Tile partials, Tile q, Tile start, Tile u, Tile steps, int r, int rows, int BM, int BN) {
        Tile slot = q.mul(2).add(where(start.div(steps).eq(u), 0L, 1L));
        return partials.add(arange(0, rows).col().add(slot.mul(BM).add(r)).mul(BN)).add(arange(0, BN).row());
    }

    /** The first row and column of output tile {@code t} (in the grouped order). */
    private static Tile[] tileOrigin(Tile t, Tile M, Tile N, int BM, int BN, int GROUP) {
        Tile[] tile = groupedTile(t, M, N, BM, BN, GROUP);
        return new Tile[] {tile[0].mul(BM), tile[1].mul(BN)};
    }

    /** Stores the f32 tile {@code acc} at rows and columns from {@code at} of C, masked to M and N, converted to C's dtype. */
    private static void storeTile(Tile c, Tile M, Tile N, Tile scm, Tile scn, Tile[] at, Tile acc) {
        Tile rm = at[0].add(arange(0, acc.shape()[0])), rn = at[1].add(arange(0, acc.shape()[1]));
        store(c.add(rm.col().mul(scm)).add(rn.row().mul(scn)), acc, rm.col().lt(M).and(rn.row().lt(N)));
    }

    /**
     * Σ_k A·B in f32 over all of K for the output tile at rows m and columns n, both blocks read
     * through descriptors ([BM, BK] of A; [BK, BN] of B, or with {@code bTransposed} [BN, BK] of a
     * row-major W [N, K], transposed into the dot), with the dot's {@code precision} (null for the
     * dtype's default): the K loop of every GEMM the library runs through descriptors.
     */
    public static Tile descriptorProduct(TensorDesc a, TensorDesc b, Tile m, Tile n, Tile K, int BM, int BN, int BK, boolean bTransposed,
                                         Precision precision) {
        return descriptorSteps(a, b, m, n, null, cdiv(K, BK), BM, BN, BK, bTransposed, precision);
    }

    /** {@link #descriptorProduct} over K steps [from, to) alone (steps of BK; from null for 0). */
    static Tile descriptorSteps(TensorDesc a, TensorDesc b, Tile m, Tile n, Tile from, Tile to, int BM, int BN, int BK, boolean bTransposed,
                                Precision precision) {
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : from == null ? range(0, to) : range(from, to)) {
            Tile bt = bTransposed ? trans(load(b, n, k.mul(BK))) : load(b, k.mul(BK), n);
            acc.set(dot(load(a, m, k.mul(BK)), bt, acc.get(), precision));
        }
        return acc.get();
    }

    /**
     * The output tile (row and column of tiles) of this program, in groups of GROUP rows of tiles:
     * programs running at once share rows of A and columns of B in L2.
     */
    private static Tile[] groupedTile(Tile M, Tile N, int BM, int BN, int GROUP) { return groupedTile(programId(0), M, N, BM, BN, GROUP); }

    /**
     * The (row, column) of output tile number {@code pid} in the grouped order: the programs walk
     * GROUP rows of tiles column by column, so those running at the same time share rows of A and
     * columns of B in L2 (Triton's tutorial order). Every GEMM of the library walks its tiles so.
     */
    public static Tile[] groupedTile(Tile pid, Tile M, Tile N, int BM, int BN, int GROUP) {
        Tile tilesN = cdiv(N, BN), perGroup = tilesN.mul(GROUP);
        Tile first = pid.div(perGroup).mul(GROUP);
        Tile groupRows = minimum(cdiv(M, BM).sub(first), (long) GROUP);
        return new Tile[] {first.add(pid.rem(perGroup).rem(groupRows)), pid.rem(perGroup).div(groupRows)};
    }

    /** A program's tile of rows rm and columns rn of the output and its accumulator Σ_k A·B over its K steps. */
    record Block(Tile rm, Tile rn, Tile acc) {
        Tile mask(Tile M, Tile N) { return rm.col().lt(M).and(rn.row().lt(N)); }
    }

    /**
     * The program's output tile (grouped order) and its K loop, the body every matmul kernel shares:
     * all K steps, or with {@code split} &gt; 1 the slice of them that grid axis 1 names.
     */
    private static Block block(Tile a, Tile b, Tile M, Tile N, Tile K, Tile sam, Tile sak, Tile sbk, Tile sbn,
                               int BM, int BN, int BK, int GROUP, int split, boolean IEEE) {
        Tile[] tile = groupedTile(M, N, BM, BN, GROUP);
        Tile pm = tile[0], pn = tile[1];
        Tile rm = pm.mul(BM).add(arange(0, BM)), rn = pn.mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Tile steps = cdiv(K, BK), perSlice = cdiv(steps, split);
        Tile from = split == 1 ? zeros(I32) : programId(1).mul(perSlice), to = split == 1 ? steps : minimum(from.add(perSlice), steps);
        Var aPtr = var(a.add(rm.col().mul(sam)).add(rk.row().add(from.mul(BK)).mul(sak)));
        Var bPtr = var(b.add(rk.col().add(from.mul(BK)).mul(sbk)).add(rn.row().mul(sbn)));
        // trace-time choice: integer dots are exact in i32 (i8 products summed over K < 2^17 cannot overflow)
        Var acc = var(zeros(a.elementType().isFloat() ? F32 : I32, BM, BN));
        for (Tile k : range(from, to)) {
            Tile left = K.sub(k.mul(BK));
            Tile at = load(aPtr.get(), rm.col().lt(M).and(rk.row().lt(left)), 0);
            Tile bt = load(bPtr.get(), rk.col().lt(left).and(rn.row().lt(N)), 0);
            acc.set(dot(at, bt, acc.get(), IEEE ? Precision.IEEE : null));
            aPtr.set(aPtr.get().add(sak.mul(BK)));
            bPtr.set(bPtr.get().add(sbk.mul(BK)));
        }
        return new Block(rm, rn, acc.get());
    }

    public static final JitKernel KERNEL = Jit.kernel(MatmulKernel.class, "matmul");
    public static final JitKernel FUSED = Jit.kernel(MatmulKernel.class, "fused");
    public static final JitKernel DESCRIPTORS = Jit.kernel(MatmulKernel.class, "descriptors");
    public static final JitKernel PERSISTENT_DESCRIPTORS = Jit.kernel(MatmulKernel.class, "persistentDescriptors");
}
