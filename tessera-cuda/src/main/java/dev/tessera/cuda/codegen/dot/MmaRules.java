package dev.tessera.cuda.codegen.dot;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.memory.MemoryRules;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.convert.Packing;
import dev.tessera.cuda.codegen.gpu.GpuOp;
import dev.tessera.cuda.codegen.gpu.GpuProgram;
import dev.tessera.cuda.codegen.gpu.SharedBuffer;
import dev.tessera.cuda.codegen.gpu.TensorCores;
import dev.tessera.cuda.codegen.gpu.TensorCores.Mma;
import dev.tessera.cuda.codegen.gpu.TensorCores.Tiling;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.cuda.codegen.layout.SwizzledTile;
import dev.tessera.ir.Op.Dot;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * The matrix product on tensor cores ({@code mma.sync}). Each operand tile goes to shared memory
 * in a {@link SwizzledTile} (from registers here; straight from global memory with
 * {@code cp.async} when a pipelined loop feeds it), then every warp reads its fragments with
 * {@code ldmatrix} and runs {@code repM × repN} instructions per k step on accumulators held in
 * the {@link Tiling#accumulator() mma layout}.
 *
 * <p>An operand's tile is stored with K contiguous (rows of A are m, rows of B are n) unless it is
 * 16-bit and its registers run along the other dimension, in which case it is stored as it is
 * held and read with {@code ldmatrix.trans}; 8- and 32-bit fragments have no transposing load,
 * so they are always stored with K contiguous.
 */
public final class MmaRules {
    private MmaRules() {}

    /** Which operand: A is [M, K] (rows m), B is [K, N] (columns n). */
    enum Role { A, B }

    /**
     * One operand in shared memory: its tile, whether K is its contiguous dimension, and whether
     * its fragments must be rounded to tf32 once loaded (an f32 tile copied as it is: the tensor
     * cores would truncate it, where Tessera rounds to nearest, ties away, on every backend).
     */
    record Operand(Role role, boolean kContiguous, SwizzledTile tile, int mn, int k, DType type, boolean roundToTf32) {
        static Operand of(Role role, int mn, int k, DType type, boolean kContiguous, boolean roundToTf32) {
            int eb = type.byteSize();
            SwizzledTile tile = kContiguous ? SwizzledTile.of(mn, k, eb) : SwizzledTile.of(k, mn, eb);
            return new Operand(role, kContiguous, tile, mn, k, type, roundToTf32);
        }

        /** The operand a shared buffer holds (a pipelined copy or an invariant), in the buffer's own tile. */
        static Operand in(SharedBuffer b) {
            var shape = b.value().type().shape();
            return new Operand(b.isA() ? Role.A : Role.B, b.kContiguous(), b.tile(), shape.dim(b.isA() ? 0 : 1), shape.dim(b.isA() ? 1 : 0),
                    b.value().type().dtype(), false);
        }

        /** The stored (row, col) of the operand's logical element (i, j): A's (m, k), B's (k, n). */
        int[] stored(int i, int j) {
            int mnIndex = role == Role.A ? i : j, kIndex = role == Role.A ? j : i;
            return kContiguous ? new int[] {mnIndex, kIndex} : new int[] {kIndex, mnIndex};
        }
    }

    /**
     * An {@code ldmatrix} pattern: lane l supplies the address of row {@code (l & 7) | bit3} and
     * 16-byte chunk {@code chunk} of the fragment, where bit3 and chunk are lane bit 3 or 4 (or
     * nothing); matrix j of the instruction becomes fragment register j. For A the four matrices
     * are a0..a3 of one instruction tile; for B two tiles' b0, b1 (x4) or one tile's (x2).
     */
    record LdMatrix(int count, boolean trans, int rowBit3FromLane, int chunkFromLane) {
        static LdMatrix of(Operand o, boolean pair) {
            boolean a = o.role() == Role.A;
            if (o.kContiguous()) return a ? new LdMatrix(4, false, 3, 4) : pair ? new LdMatrix(4, false, 4, 3) : new LdMatrix(2, false, -1, 3);
            return a ? new LdMatrix(4, true, 4, 3) : pair ? new LdMatrix(4, true, 3, 4) : new LdMatrix(2, true, 3, -1);
        }
    }

    /**
     * A's fragments straight from its registers when it is held in the accumulator layout of a
     * rows tiling (see {@link Tiling#rows}) like this dot's: the C fragments of instruction tiles
     * 2s and 2s + 1 along K are the A fragment of k step s (a0 = c0c1 of tile 2s, a1 = its c2c3,
     * a2, a3 the same of tile 2s + 1), each pair packed into one register (a packed A's words as
     * they are). Null when A is held otherwise, or its elements are not 16-bit.
     */
    static AFragments registerFragments(Lowerer cx, Dot op, Tiling t, TileValue a) {
        if (t.wn() != 1) return null;
        return fragmentsInRegisters(cx, op, a);
    }

    /**
     * The A fragments of k step s and 16-row block mi when A is held in {@code d}'s A-fragment
     * layout, 16-bit: the same four pairs of accumulator registers for mma.sync's m16n8 C
     * fragments and for wgmma's, whose D fragment repeats m16n8's along n within a warp's 16 rows.
     * Null when A is held otherwise.
     */
    static AFragments fragmentsInRegisters(Lowerer cx, Dot op, TileValue a) {
        DType type = op.a().type().dtype();
        if (type.bits() != 16 || !a.layout().equals(cx.layouts.aFragmentLayout(op))) return null;
        int tilesK = op.a().type().shape().dim(1) / Mma.N;
        return (s, mi) -> {
            String[] f = new String[4];
            for (int j = 0; j < 4; j++) {
                int tile = 2 * s + (j >> 1), c = 2 * (j & 1);
                int r = c + 4 * (tile + tilesK * mi);
                f[j] = a.isPacked() ? a.word(r / 2) : Packing.operandPair(cx, type, a.reg(r), a.reg(r + 1));
            }
            return f;
        };
    }

    /**
     * Whether an operand held in {@code l} is stored with K contiguous: always for 8- and 32-bit
     * types; for 16-bit ones when its registers do not run along the other dimension.
     */
    static boolean kContiguous(DistributedLayout l, int kDim, DType type) {
        if (type.bits() != 16 || l.regBits() == 0) return true;
        int shift = DistributedLayout.dimShift(l.shape(), kDim), bits = DistributedLayout.log2(l.shape().dim(kDim));
        int b = l.regBasis(0);
        return (b >>> shift & ((1 << bits) - 1)) != 0;
    }

    /**
     * The accumulators {@code acc} += A·B over the whole K of the operands in shared memory (A at
     * {@code aBase + aOffset}, B at {@code bBase + bOffset}); fully unrolled over K.
     */
    static void multiply(Lowerer cx, Mma mma, Tiling t, Operand oa, String aBase, int aOffset, Operand ob, String bBase, int bOffset, String[] acc) {
        LdMatrix la = LdMatrix.of(oa, true);
        String threadA = threadPart(cx, t, oa, la);
        java.util.Map<String, String> addresses = new java.util.HashMap<>();
        multiply(cx, mma, t, (s, mi) -> load(cx, oa, la, threadA, aBase, aOffset, TensorCores.Mma.M * mi, s * TensorCores.Mma.ROW_BYTES, addresses),
                ob, bBase, bOffset, acc);
    }

    /** The A fragment (four registers) of instruction tile row {@code mi} at k step {@code step}. */
    interface AFragments {
        String[] at(int step, int mi);
    }

    /** As above, with A's fragments from {@code fragments}. */
    static void multiply(Lowerer cx, Mma mma, Tiling t, AFragments fragments, Operand ob, String bBase, int bOffset, String[] acc) {
        PtxWriter w = cx.w;
        int steps = ob.k() / mma.k();
        boolean pairB = t.repN() % 2 == 0;
        LdMatrix lb = LdMatrix.of(ob, pairB);
        String threadB = threadPart(cx, t, ob, lb);
        java.util.Map<String, String> addresses = new java.util.HashMap<>();
        for (int s = 0; s < steps; s++) {
            String[][] fa = new String[t.repM()][], fb = new String[t.repN()][];
            for (int mi = 0; mi < t.repM(); mi++) fa[mi] = fragments.at(s, mi);
            for (int ni = 0; ni < t.repN(); ni += pairB ? 2 : 1) {
                String[] regs = load(cx, ob, lb, threadB, bBase, bOffset, TensorCores.Mma.N * ni, s * TensorCores.Mma.ROW_BYTES, addresses);
                fb[ni] = new String[] {regs[0], regs[1]};
                if (pairB) fb[ni + 1] = new String[] {regs[2], regs[3]};
            }
            for (int mi = 0; mi < t.repM(); mi++) {
                for (int ni = 0; ni < t.repN(); ni++) {
                    int c = 4 * (ni + t.repN() * mi);
                    String d = "{" + acc[c] + ", " + acc[c + 1] + ", " + acc[c + 2] + ", " + acc[c + 3] + "}";
                    w.op("%s %s, {%s}, {%s}, %s", mma.instruction(), d, String.join(", ", fa[mi]), String.join(", ", fb[ni]), d);
                }
            }
        }
    }

    /**
     * A lane's offset in an operand's tile for pattern {@code p}, for the fragment at the warp's
     * origin (computed once, in the prologue): the lane's row and chunk from its bits, plus the
     * warp's first row (A) or column (B) of the result.
     */
    private static String threadPart(Lowerer cx, Tiling t, Operand o, LdMatrix p) {
        String key = "mma:" + t + o + p;
        return cx.once(key, () -> {
            PtxWriter w = cx.w;
            String lane = cx.lane(), warp = cx.warp();
            // the warp's first row (A: rows of the result) or column (B) along mn
            String mnBase = w.reg(RegClass.B32);
            if (o.role() == Role.A) {
                w.op("bfe.u32 %s, %s, %d, %d", mnBase, warp, DistributedLayout.log2(t.wn()), DistributedLayout.log2(t.wm()));
                w.op("mul.lo.u32 %s, %s, %d", mnBase, mnBase, t.warpRows());
            } else {
                w.op("and.b32 %s, %s, %d", mnBase, warp, t.wn() - 1);
                w.op("mul.lo.u32 %s, %s, %d", mnBase, mnBase, t.warpCols());
            }
            String row = w.reg(RegClass.B32), chunk = w.reg(RegClass.B32);
            w.op("and.b32 %s, %s, 7", row, lane);
            if (p.rowBit3FromLane() >= 0) {
                String bit = w.reg(RegClass.B32);
                w.op("bfe.u32 %s, %s, %d, 1", bit, lane, p.rowBit3FromLane());
                w.op("shl.b32 %s, %s, 3", bit, bit);
                w.op("or.b32 %s, %s, %s", row, row, bit);
            }
            if (p.chunkFromLane() >= 0) w.op("bfe.u32 %s, %s, %d, 1", chunk, lane, p.chunkFromLane());
            else w.op("mov.u32 %s, 0", chunk);
            int chunkElems = SwizzledTile.CHUNK / o.type().byteSize();
            String col = w.reg(RegClass.B32);
            w.op("mul.lo.u32 %s, %s, %d", col, chunk, chunkElems);
            // the warp's base along mn is a row when mn is the stored row (K contiguous), else a column
            if (o.kContiguous()) w.op("add.u32 %s, %s, %s", row, row, mnBase);
            else w.op("add.u32 %s, %s, %s", col, col, mnBase);
            return o.tile().offset(cx.w, row, col);
        });
    }

    /**
     * One {@code ldmatrix} at fragment origin (mnOrigin along mn, kBytes along k): the origin's
     * row part is a multiple of 8 rows (the swizzle's period) and is added as an immediate, its
     * column part has bits disjoint from the lane's and is XORed in.
     */
    private static String[] load(Lowerer cx, Operand o, LdMatrix p, String thread, String base, int offset, int mnOrigin, int kBytes,
                                 java.util.Map<String, String> addresses) {
        PtxWriter w = cx.w;
        int kOrigin = kBytes / o.type().byteSize();
        int rowOrigin = o.kContiguous() ? mnOrigin : kOrigin, colOrigin = o.kContiguous() ? kOrigin : mnOrigin;
        int xor = o.tile().offset(0, colOrigin);
        String lane = xor == 0 ? thread : cx.once("mma-xor:" + thread + ":" + xor, () -> {
            String r = w.reg(RegClass.B32);
            w.op("xor.b32 %s, %s, %d", r, thread, xor);
            return r;
        });
        String addr = addresses.computeIfAbsent(lane + "+" + base, key -> {
            String r = w.reg(RegClass.B32);
            w.op("add.u32 %s, %s, %s", r, lane, base);
            return r;
        });
        String[] regs = new String[p.count()];
        for (int j = 0; j < regs.length; j++) regs[j] = w.reg(RegClass.B32);
        w.op("ldmatrix.sync.aligned.m8n8.x%d%s.shared.b16 {%s}, [%s+%d]", p.count(), p.trans() ? ".trans" : "", String.join(", ", regs), addr,
                offset + rowOrigin * o.tile().rowBytes());
        if (o.roundToTf32()) for (String r : regs) w.op("cvt.rna.tf32.f32 %s, %s", r, r);
        return regs;
    }

    /**
     * Writes an operand held in registers into its swizzled tile: runs of registers that are
     * consecutive in the tile go out as one store of up to 16 bytes, in the operand's memory format
     * (tf32 inputs rounded to tf32 as Numerics.roundTf32 does).
     */
    static void stage(Lowerer cx, TileValue v, Operand o, String base, int start, boolean tf32) {
        PtxWriter w = cx.w;
        DistributedLayout l = v.layout();
        int cols = l.shape().dim(1), logC = DistributedLayout.log2(cols);
        DType t = o.type();
        int eb = t.byteSize();
        String thread = threadOffset(cx, l, o);
        int n = v.size();
        int[] offsets = new int[n];
        for (int r = 0; r < n; r++) {
            int e = l.regPart(r);
            int[] rc = o.stored(e >>> logC, e & (cols - 1));
            offsets[r] = o.tile().offset(rc[0], rc[1]);
        }
        List<int[]> runs = new ArrayList<>();   // {first register, registers}: each one store of up to 16 bytes
        for (int r = 0; r < n; ) {
            int run = 1;
            while (run * 2 * eb <= 16 && r + run * 2 <= n && offsets[r] % (run * 2 * eb) == 0 && consecutive(offsets, r, run * 2, eb)) run *= 2;
            runs.add(new int[] {r, run});
            r += run;
        }
        // a packed value's words are stored as they are where every run holds whole words
        if (v.isPacked() && runs.stream().anyMatch(run -> run[0] % 2 != 0 || run[1] % 2 != 0)) v = Packing.unpack(cx, v);
        for (int[] rr : runs) {
            int r = rr[0], run = rr[1];
            String addr = w.reg(RegClass.B32);
            if (thread == null) w.op("add.u32 %s, %s, %d", addr, base, start + offsets[r]);
            else {
                w.op("xor.b32 %s, %s, %d", addr, thread, offsets[r]);
                w.op("add.u32 %s, %s, %s", addr, addr, base);
            }
            int bytes = run * eb;
            if (v.isPacked()) {
                String[] word = java.util.Arrays.copyOfRange(v.words(), r / 2, (r + run) / 2);
                w.op("st.shared%s.b32 [%s+%d], %s", word.length == 1 ? "" : ".v" + word.length, addr, thread == null ? 0 : start,
                        word.length == 1 ? word[0] : "{" + String.join(", ", word) + "}");
                continue;
            }
            String[] fields = new String[run];
            for (int j = 0; j < run; j++) fields[j] = bits(cx, v.reg(r + j), t, tf32);
            if (bytes < 4) {
                w.op("st.shared.%s [%s+%d], %s", bytes == 1 ? "u8" : "u16", addr, thread == null ? 0 : start,
                        bytes == 1 || run == 1 ? fields[0] : MemoryRules.pack(cx, fields, eb));
            } else {
                int perWord = 4 / eb, words = bytes / 4;
                String[] word = new String[words];
                for (int i = 0; i < words; i++) {
                    String[] part = java.util.Arrays.copyOfRange(fields, i * perWord, (i + 1) * perWord);
                    word[i] = perWord == 1 ? part[0] : MemoryRules.pack(cx, part, eb);
                }
                w.op("st.shared%s.b32 [%s+%d], %s", words == 1 ? "" : ".v" + words, addr, thread == null ? 0 : start,
                        words == 1 ? word[0] : "{" + String.join(", ", word) + "}");
            }
        }
    }

    /**
     * The offset in {@code o}'s tile of the thread's part of an element held in layout {@code l}
     * (a prologue register; null when lanes and warps contribute nothing): a register's element is
     * then at this XOR the offset of the register's own part.
     */
    static String threadOffset(Lowerer cx, DistributedLayout l, Operand o) {
        if (l.threadMask() == 0) return null;
        int cols = l.shape().dim(1), logC = DistributedLayout.log2(cols);
        String flat = cx.threadOffset(l);
        return cx.once("stored-thread:" + l + o, () -> {
            PtxWriter w = cx.w;
            String i = w.reg(RegClass.B32), j = w.reg(RegClass.B32);
            w.op("shr.u32 %s, %s, %d", i, flat, logC);
            w.op("and.b32 %s, %s, %d", j, flat, cols - 1);
            boolean swap = o.stored(0, 1)[0] == 1; // the stored row is the logical column
            return o.tile().offset(w, swap ? j : i, swap ? i : j);
        });
    }

    /**
     * A tensor-core dot: operands with a buffer are read from {@code slot} of it (a pipelined
     * loop's current slot), the others come from registers: A as fragments directly when it is
     * held in the A-fragment layout, else A and B staged into scratch shared memory first.
     */
    public static TileValue mma(GpuOp.Mma mma, GpuProgram program, String slot, Lowerer cx) {
        Dot op = mma.dot();
        Tiling tiling = mma.tiling();
        DistributedLayout out = cx.layoutOf(op.result());
        if (!tiling.accumulator().equals(out)) throw new IllegalStateException("dot result in " + out + ", not the mma layout of " + tiling);
        int m = op.a().type().shape().dim(0), k = op.a().type().shape().dim(1), n = op.b().type().shape().dim(1);
        DType in = op.a().type().dtype();
        boolean tf32 = op.precision() == Dot.Precision.TF32;
        TileValue acc = cx.operand(op, op.acc());
        TileValue b = mma.b() == null ? cx.operandAny(op, op.b()) : null;   // staged as it is held
        // A as it is held (packed where its conversion or load made it so)
        AFragments inRegisters = mma.a() == null ? registerFragments(cx, op, tiling, cx.operandAny(op, op.a())) : null;
        TileValue staged = mma.a() == null && inRegisters == null ? cx.operandAny(op, op.a()) : null;
        Operand oa = Operand.of(Role.A, m, k, in, mma.a() != null ? mma.a().kContiguous() : staged == null || kContiguous(staged.layout(), 1, in),
                tf32 && mma.a() != null);
        Operand ob = Operand.of(Role.B, n, k, in, mma.b() != null ? mma.b().kContiguous() : kContiguous(b.layout(), 0, in), tf32 && mma.b() != null);
        cx.w.comment(mma.instr().instruction() + ": A " + (mma.a() != null ? "from " + mma.a() : inRegisters != null ? "from registers" : "staged")
                + ", B " + (mma.b() != null ? "from " + mma.b() : "staged") + "; " + tiling.wm() + "x" + tiling.wn() + " warps, "
                + tiling.repM() + "x" + tiling.repN() + " tiles each");
        int aBytes = staged != null ? (oa.tile().bytes() + 127) & ~127 : 0, bBytes = b != null ? ob.tile().bytes() : 0;
        String scratch = aBytes + bBytes > 0 ? cx.smem.begin(aBytes + bBytes) : null;
        String aBase = null, bBase;
        int bOffset = 0;
        if (staged != null) {
            aBase = scratch;
            stage(cx, staged, oa, aBase, 0, tf32);
        } else if (mma.a() != null) {
            aBase = PipelineRules.slotBase(mma.a(), program, slot, cx);
        }
        if (b != null) {
            bBase = scratch;
            bOffset = aBytes;
            stage(cx, b, ob, bBase, bOffset, tf32);
        } else {
            bBase = PipelineRules.slotBase(mma.b(), program, slot, cx);
        }
        if (scratch != null) cx.smem.sync();
        TileValue result = cx.fresh(out, acc.type());
        for (int r = 0; r < out.numRegs(); r++) Emit.move(cx, result.regClass(), result.reg(r), acc.reg(r));
        if (inRegisters != null) multiply(cx, mma.instr(), tiling, inRegisters, ob, bBase, bOffset, result.regs());
        else multiply(cx, mma.instr(), tiling, oa, aBase, 0, ob, bBase, bOffset, result.regs());
        if (scratch != null) cx.smem.end();
        return result;
    }

    private static boolean consecutive(int[] offsets, int from, int count, int eb) {
        for (int j = 1; j < count; j++) if (offsets[from + j] != offsets[from] + j * eb) return false;
        return true;
    }

    /** An element's memory bits in a 32-bit register (tf32: the f32 rounded to tf32). */
    private static String bits(Lowerer cx, String reg, DType t, boolean tf32) {
        if (t == DType.F32) {
            String r = cx.w.reg(RegClass.B32);
            if (tf32) cx.w.op("cvt.rna.tf32.f32 %s, %s", r, reg);
            else cx.w.op("mov.b32 %s, %s", r, reg);
            return r;
        }
        return MemoryRules.memoryBits(cx, t, reg);
    }
}
