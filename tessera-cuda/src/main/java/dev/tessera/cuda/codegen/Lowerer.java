package dev.tessera.cuda.codegen;

import dev.tessera.passes.AxisInfo;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import dev.tessera.types.ElementType;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The state of lowering one kernel: the PTX being written, the layouts, the registers of every
 * value in every layout it has been made in (scoped by region, so a value made inside a branch
 * is not used after it), thread-index values, shared memory, and the debug sites.
 */
final class Lowerer {
    final PtxWriter w = new PtxWriter();
    final KernelIR kernel;
    final LayoutAssignment layouts;
    final AxisInfo axis;
    final Target target;
    final int numWarps;
    final SharedMemory smem = new SharedMemory(w);
    final DebugSites debug;
    private final Deque<Map<Value, Map<DistributedLayout, TileValue>>> scopes = new ArrayDeque<>();
    private final Map<String, String> threadOffsets = new HashMap<>();
    private final Map<String, String> owners = new HashMap<>();
    private final Map<String, NarrowBits> narrowBits = new HashMap<>();
    private final Map<String, String> prologueValues = new HashMap<>();
    private String tid, lane, warp;

    Lowerer(KernelIR kernel, LayoutAssignment layouts, AxisInfo axis, Target target, int numWarps, DebugSites debug) {
        this.kernel = kernel;
        this.layouts = layouts;
        this.axis = axis;
        this.target = target;
        this.numWarps = numWarps;
        this.debug = debug;
        scopes.push(new IdentityHashMap<>());
    }

    // ------------------------------------------------------------------ values

    DistributedLayout layoutOf(Value v) { return layouts.layoutOf(v); }

    /** {@code v} in layout {@code l}: made already, recomputed (cheap values) or converted through shared memory. */
    TileValue get(Value v, DistributedLayout l) {
        TileValue t = lookup(v, l);
        if (t != null) return t;
        if (!v.type().isScalar() && layouts.isRematerializable(v)) {
            Op producer = layouts.producerOf(v);
            t = PtxLowering.value(producer, l, this);
        } else {
            TileValue have = lookup(v, layoutOf(v));
            if (have == null) throw new IllegalStateException("value " + v + " used before it was lowered");
            t = LayoutConversion.convert(have, l, this);
        }
        scopes.peek().computeIfAbsent(v, k -> new HashMap<>()).put(l, t);
        return t;
    }

    /** {@code op}'s operand {@code v} in the layout the op reads it in. */
    TileValue operand(Op op, Value v) { return get(v, layouts.required(op, v)); }

    /** {@code v} in the layout it was produced in. */
    TileValue primary(Value v) { return get(v, layoutOf(v)); }

    private TileValue lookup(Value v, DistributedLayout l) {
        if (v.type().isScalar()) l = layouts.scalar();
        for (Map<Value, Map<DistributedLayout, TileValue>> scope : scopes) {
            Map<DistributedLayout, TileValue> m = scope.get(v);
            if (m != null && m.containsKey(l)) return m.get(l);
        }
        return null;
    }

    /** Records {@code v}'s registers, then makes the conversions its users need once, here. */
    void define(Value v, TileValue t) {
        if (!t.layout().equals(v.type().isScalar() ? layouts.scalar() : layoutOf(v))) {
            throw new IllegalStateException("value " + v + " lowered in " + t.layout() + ", assigned " + layoutOf(v));
        }
        scopes.peek().computeIfAbsent(v, k -> new HashMap<>()).put(t.layout(), t);
        for (DistributedLayout l : layouts.eagerConversions(v)) {
            scopes.peek().get(v).put(l, LayoutConversion.convert(t, l, this));
        }
    }

    void pushScope() { scopes.push(new IdentityHashMap<>()); }

    void popScope() { scopes.pop(); }

    /** A value with fresh registers of {@code type} in layout {@code l}. */
    TileValue fresh(DistributedLayout l, ElementType type) {
        String[] regs = new String[l.numRegs()];
        RegClass k = RegClass.of(type);
        for (int i = 0; i < regs.length; i++) regs[i] = w.reg(k);
        return new TileValue(l, type, regs);
    }

    // ------------------------------------------------------------------ narrow floats' memory bits

    /**
     * What is known of a narrow float held in an f32 register where it was made: its type, its
     * memory pattern (zero-extended in a 32-bit register), and the f32 it was rounded from, if it
     * was. A store then writes the pattern (or converts two sources at once) instead of recovering
     * it from the held value. Only registers written once are recorded, so the facts never go
     * stale; a register may stand for values of several types (an fp8 value widened to f16 is the
     * same f32), so the facts hold only for their own type.
     */
    record NarrowBits(DType type, String bits, String roundedFrom) {}

    void recordNarrowBits(String held, DType type, String bits, String roundedFrom) {
        narrowBits.put(held, new NarrowBits(type, bits, roundedFrom));
    }

    /** What is known of {@code held} as a value of {@code type}, or null. */
    NarrowBits narrowBits(String held, DType type) {
        NarrowBits known = narrowBits.get(held);
        return known != null && known.type() == type ? known : null;
    }

    // ------------------------------------------------------------------ thread index

    String tid() {
        if (tid == null) {
            w.inPrologue(() -> {
                tid = w.reg(RegClass.B32);
                lane = w.reg(RegClass.B32);
                warp = w.reg(RegClass.B32);
                w.op("mov.u32 %s, %%tid.x", tid);
                w.op("and.b32 %s, %s, 31", lane, tid);
                w.op("shr.u32 %s, %s, 5", warp, tid);
                return null;
            });
        }
        return tid;
    }

    String lane() { tid(); return lane; }

    /**
     * A register that depends only on the thread index (and registers of the same kind), computed
     * once, in the prologue, the first time {@code key} is asked for.
     */
    String once(String key, java.util.function.Supplier<String> emit) {
        String known = prologueValues.get(key);
        if (known == null) {
            known = w.inPrologue(emit);
            prologueValues.put(key, known);
        }
        return known;
    }

    String warp() { tid(); return warp; }

    /**
     * The flat-index bits a thread's lane and warp contribute in layout {@code l} (a register set
     * once in the prologue): element of register r = this | l.regPart(r).
     */
    String threadOffset(DistributedLayout l) {
        StringBuilder key = new StringBuilder();
        for (int i = 0; i < 5; i++) key.append(l.laneBasis(i)).append(',');
        key.append('|');
        for (int i = 0; i < l.warpBits(); i++) key.append(l.warpBasis(i)).append(',');
        return threadOffsets.computeIfAbsent(key.toString(), k -> w.inPrologue(() -> {
            String acc = null;
            acc = gatherBits(acc, lane(), 5, l::laneBasis);
            acc = gatherBits(acc, warp(), l.warpBits(), l::warpBasis);
            if (acc == null) {
                acc = w.reg(RegClass.B32);
                w.op("mov.u32 %s, 0", acc);
            }
            return acc;
        }));
    }

    /** ORs into {@code acc} each run of consecutive source bits that map to consecutive flat-index bits. */
    private String gatherBits(String acc, String source, int count, java.util.function.IntUnaryOperator basis) {
        int i = 0;
        while (i < count) {
            int b = basis.applyAsInt(i);
            if (b == 0) {
                i++;
                continue;
            }
            int pos = Integer.numberOfTrailingZeros(b), len = 1;
            while (i + len < count && basis.applyAsInt(i + len) == 1 << (pos + len)) len++;
            String t = w.reg(RegClass.B32);
            w.op("bfe.u32 %s, %s, %d, %d", t, source, i, len);
            if (pos > 0) w.op("shl.b32 %s, %s, %d", t, t, pos);
            if (acc != null) w.op("or.b32 %s, %s, %s", t, t, acc);
            acc = t;
            i += len;
        }
        return acc;
    }

    /**
     * A predicate true in exactly one thread of each group holding copies of the same elements
     * (lanes and warps differing only in replicated bits), or null when no thread holds copies.
     */
    String owner(DistributedLayout l) {
        int lanes = l.replicatedLaneMask(), warps = l.replicatedWarpMask();
        if (lanes == 0 && warps == 0) return null;
        return owners.computeIfAbsent(lanes + "/" + warps, k -> w.inPrologue(() -> {
            String t = w.reg(RegClass.B32);
            w.op("and.b32 %s, %s, %d", t, tid(), lanes | (warps << 5));
            String p = w.reg(RegClass.PRED);
            w.op("setp.eq.u32 %s, %s, 0", p, t);
            return p;
        }));
    }

    // ------------------------------------------------------------------ debugging support

    private String errorBuffer, kernelIdReg, printBuffer;
    private int formats;

    /** The error record's address (the hidden parameter, loaded once). */
    String errorBuffer() {
        if (errorBuffer == null) {
            errorBuffer = w.inPrologue(() -> {
                String r = w.reg(RegClass.B64);
                w.op("ld.param.u64 %s, [%s]", r, DebugRules.ERROR_PARAM);
                return r;
            });
        }
        return errorBuffer;
    }

    String kernelId() {
        if (kernelIdReg == null) {
            kernelIdReg = w.inPrologue(() -> {
                String r = w.reg(RegClass.B32);
                w.op("ld.param.u32 %s, [%s]", r, DebugRules.KERNEL_ID_PARAM);
                return r;
            });
        }
        return kernelIdReg;
    }

    /** Whether the kernel takes the hidden error-record parameters. */
    boolean usesErrorBuffer() { return errorBuffer != null || kernelIdReg != null; }

    /** A small local buffer for vprintf's arguments (declared once). */
    String printBuffer() {
        if (printBuffer == null) {
            printBuffer = "tessera_print_args";
            w.inPrologue(() -> {
                w.raw(".local .align 8 .b8 " + printBuffer + "[24];");
                return null;
            });
            w.global(".extern .func (.param .b32 func_retval0) vprintf (.param .b64 vprintf_param_0, .param .b64 vprintf_param_1);");
        }
        return printBuffer;
    }

    /** A global C string for a printf format; returns its symbol. */
    String printFormat(String text) {
        String name = "$tessera_fmt" + formats++;
        int n = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
        w.global(".global .align 1 .b8 " + name + "[" + n + "] = {" + DebugRules.bytes(text) + "};");
        return name;
    }

    private boolean twoOverPi;

    /** Declares the Payne-Hanek table of 2/pi bits in the module once. */
    void twoOverPiTable(String symbol, long[] words) {
        if (twoOverPi) return;
        twoOverPi = true;
        StringBuilder sb = new StringBuilder(".const .align 8 .b64 " + symbol + "[" + words.length + "] = {");
        for (int i = 0; i < words.length; i++) sb.append(i == 0 ? "" : ", ").append("0x").append(Long.toHexString(words[i]));
        w.global(sb.append("};").toString());
    }
}
