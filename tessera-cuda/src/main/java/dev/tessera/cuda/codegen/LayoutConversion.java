package dev.tessera.cuda.codegen;

import dev.tessera.cuda.codegen.layout.DistributedLayout;

/**
 * Moves a value from one layout to another. When every thread already holds what it needs the
 * registers are only renamed; otherwise each thread writes its elements to shared memory at their
 * flat index (padded by 16 bytes every 32 elements, which spreads column accesses over the banks
 * and keeps 16-byte vector accesses aligned), a barrier, and each thread reads its new elements.
 */
final class LayoutConversion {
    private LayoutConversion() {}

    static TileValue convert(TileValue src, DistributedLayout target, Lowerer cx) {
        DistributedLayout from = src.layout();
        if (from.equals(target)) return src;
        if (src.isPacked()) return convertPacked(src, target, cx);
        if (from.convertsLocallyTo(target)) {
            String[] regs = new String[target.numRegs()];
            for (int r = 0; r < regs.length; r++) regs[r] = src.reg(from.localSource(target, r));
            return new TileValue(target, src.type(), regs);
        }
        if (!from.shape().equals(target.shape())) throw new IllegalStateException("convert " + from + " to " + target);
        cx.w.comment("layout conversion through shared memory: " + from + " -> " + target);
        RegClass k = src.regClass();
        int eb = elementBytes(k);
        String base = cx.smem.begin(paddedIndex(target.shape().numel()) * eb);
        writeAll(cx, src, base, null);
        cx.smem.sync();
        TileValue out = readAll(cx, target, src.type(), base);
        cx.smem.end();
        return out;
    }

    /**
     * A packed value in another layout: a renaming keeps words whose pairs stay together and
     * re-pairs the others with {@code prmt}; through shared memory, each element's pattern moves
     * as a 32-bit word and the patterns are paired again where they land (bit-exact, NaN
     * payloads included). Where the target cannot hold the value packed, it is unpacked.
     */
    private static TileValue convertPacked(TileValue src, DistributedLayout target, Lowerer cx) {
        DistributedLayout from = src.layout();
        if (!TileValue.packable(src.type(), target)) return convert(Packing.unpack(cx, src), target, cx);
        if (from.convertsLocallyTo(target)) {
            return Packing.gather(cx, target, src.type(), new TileValue[] {src}, new Packing.Origin() {
                public int source(int e) { return 0; }
                public int index(int e) { return from.localSource(target, e); }
            });
        }
        TileValue moved = convert(Packing.bits(cx, src), target, cx);
        return Packing.fromBits(cx, moved, (dev.tessera.types.DType) src.type());
    }

    /** Every thread ends up with what the owners of each element hold (after an atomic only the owner executed). */
    static TileValue shareFromOwners(TileValue v, Lowerer cx) {
        String owner = cx.owner(v.layout());
        if (owner == null) return v;
        RegClass k = v.regClass();
        int eb = elementBytes(k);
        String base = cx.smem.begin(paddedIndex(v.layout().shape().numel()) * eb);
        writeAll(cx, v, base, owner);
        cx.smem.sync();
        TileValue out = readAll(cx, v.layout(), v.type(), base);
        cx.smem.end();
        return out;
    }

    static int elementBytes(RegClass k) { return k == RegClass.PRED ? 4 : k.bytes(); }

    /** The padded word index of flat element {@code i} (16 bytes of padding every 32 elements). */
    static int paddedIndex(int i) { return i + (i >> 5) * 4; }

    /** The thread's padded byte offset in layout {@code l} (prologue register). */
    static String threadByteOffset(Lowerer cx, DistributedLayout l, int eb) {
        String t = cx.threadOffset(l);
        return cx.w.inPrologue(() -> {
            String hi = cx.w.reg(RegClass.B32), r = cx.w.reg(RegClass.B32);
            cx.w.op("shr.u32 %s, %s, 5", hi, t);
            cx.w.op("mad.lo.u32 %s, %s, 4, %s", r, hi, t);
            cx.w.op("mul.lo.u32 %s, %s, %d", r, r, eb);
            return r;
        });
    }

    private static void writeAll(Lowerer cx, TileValue v, String base, String pred) {
        DistributedLayout l = v.layout();
        RegClass k = v.regClass();
        int eb = elementBytes(k);
        String addr = cx.w.reg(RegClass.B32);
        cx.w.op("add.u32 %s, %s, %s", addr, base, threadByteOffset(cx, l, eb));
        String guard = pred == null ? "" : "@" + pred + " ";
        int n = l.numRegs(), vec = vectorRun(l, eb);
        for (int r = 0; r < n; r += vec) {
            int off = paddedIndex(l.regPart(r)) * eb;
            StringBuilder list = new StringBuilder();
            for (int j = 0; j < vec; j++) list.append(j == 0 ? "" : ", ").append(word(cx, k, v.reg(r + j)));
            cx.w.op("%sst.shared%s%s [%s+%d], %s", guard, vec == 1 ? "" : ".v" + vec, sharedType(k), addr, off,
                    vec == 1 ? list : "{" + list + "}");
        }
    }

    private static TileValue readAll(Lowerer cx, DistributedLayout l, dev.tessera.types.ElementType type, String base) {
        RegClass k = RegClass.of(type);
        int eb = elementBytes(k);
        String addr = cx.w.reg(RegClass.B32);
        cx.w.op("add.u32 %s, %s, %s", addr, base, threadByteOffset(cx, l, eb));
        int n = l.numRegs(), vec = vectorRun(l, eb);
        String[] regs = new String[n];
        for (int r = 0; r < n; r += vec) {
            int off = paddedIndex(l.regPart(r)) * eb;
            String[] raw = new String[vec];
            for (int j = 0; j < vec; j++) raw[j] = cx.w.reg(k == RegClass.PRED ? RegClass.B32 : k);
            cx.w.op("ld.shared%s%s %s, [%s+%d]", vec == 1 ? "" : ".v" + vec, sharedType(k),
                    vec == 1 ? raw[0] : "{" + String.join(", ", raw) + "}", addr, off);
            for (int j = 0; j < vec; j++) regs[r + j] = k == RegClass.PRED ? Emit.toPred(cx, raw[j]) : raw[j];
        }
        return new TileValue(l, type, regs);
    }

    /** How many low registers hold consecutive flat elements (up to 16 bytes). */
    static int vectorRun(DistributedLayout l, int eb) {
        int run = 0;
        while (run < l.regBits() && l.regBasis(run) == 1 << run) run++;
        return Math.min(1 << run, 16 / eb);
    }

    private static String sharedType(RegClass k) {
        return switch (k) {
            case F32 -> ".f32";
            case F64 -> ".f64";
            case B64 -> ".b64";
            default -> ".b32";
        };
    }

    private static String word(Lowerer cx, RegClass k, String reg) {
        return k == RegClass.PRED ? Emit.fromPred(cx, reg) : reg;
    }
}
