package dev.tessera.cuda.codegen;

/** Warp shuffles of any register class (64-bit values in two halves, predicates as words). */
public final class Shuffles {
    private Shuffles() {}

    /**
     * {@code shfl.sync.idx} of one 32-bit word ({@code k} is F32 or B32): the word lane
     * {@code lane} (a register or an immediate, of the same warp) holds. Every lane of the warp
     * must execute it.
     */
    public static String shuffleIndexed(Lowerer cx, RegClass k, String word, String lane) {
        String out = cx.w.reg(k);
        cx.w.op("shfl.sync.idx.b32 %s, %s, %s, 31, -1", out, word, lane);
        return out;
    }

    /** {@code shfl.sync.<mode>} of {@code v}: bfly (xor lane mask), up or down (by delta). */
    public static String shuffle(Lowerer cx, RegClass k, String v, String mode, int operand) {
        PtxWriter w = cx.w;
        String c = mode.equals("up") ? "0" : "31";
        switch (k) {
            case B64, F64 -> {
                String bits = v;
                if (k == RegClass.F64) {
                    bits = w.reg(RegClass.B64);
                    w.op("mov.b64 %s, %s", bits, v);
                }
                String lo = w.reg(RegClass.B32), hi = w.reg(RegClass.B32), lo2 = w.reg(RegClass.B32), hi2 = w.reg(RegClass.B32);
                w.op("mov.b64 {%s, %s}, %s", lo, hi, bits);
                w.op("shfl.sync.%s.b32 %s, %s, %d, %s, -1", mode, lo2, lo, operand, c);
                w.op("shfl.sync.%s.b32 %s, %s, %d, %s, -1", mode, hi2, hi, operand, c);
                String out = w.reg(k);
                w.op("mov.b64 %s, {%s, %s}", out, lo2, hi2);
                return out;
            }
            case PRED -> {
                String word = Emit.fromPred(cx, v), out = w.reg(RegClass.B32);
                w.op("shfl.sync.%s.b32 %s, %s, %d, %s, -1", mode, out, word, operand, c);
                return Emit.toPred(cx, out);
            }
            default -> {
                String out = w.reg(k);
                w.op("shfl.sync.%s.b32 %s, %s, %d, %s, -1", mode, out, v, operand, c);
                return out;
            }
        }
    }
}
