package dev.tessera.cuda.codegen;

import dev.tessera.cuda.codegen.control.DebugRules;
import dev.tessera.cuda.codegen.control.DebugSites;
import dev.tessera.cuda.codegen.convert.NanPayloads;
import dev.tessera.cuda.codegen.convert.Packing;
import dev.tessera.cuda.codegen.layout.LayoutAssignment;
import dev.tessera.cuda.codegen.layout.LayoutConversion;
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
public final class Lowerer {
    public final PtxWriter w = new PtxWriter();
    final KernelIR kernel;
    public final LayoutAssignment layouts;
    public final AxisInfo axis;
    public final Target target;
    /** The warps the layouts are spread over (a specialized kernel's consumers). */
    public final int numWarps;
    /** Warps beside them that only issue copies (a specialized kernel's producer), or 0. */
    private int producerWarps;
    /** The registers a thread may hold at launch ({@code .maxnreg}), or 0 for ptxas's choice. */
    private int maxRegisters;
    public final SharedMemory smem = new SharedMemory(w);
    public final DebugSites debug;
    private final NanPayloads nanPayloads;
    private final Deque<Map<Value, Map<Object, TileValue>>> scopes = new ArrayDeque<>();
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
        this.nanPayloads = new NanPayloads(kernel);
        scopes.push(new IdentityHashMap<>());
    }

    // ------------------------------------------------------------------ values

    public DistributedLayout layoutOf(Value v) { return layouts.layoutOf(v); }

    /**
     * {@code v} in layout {@code l}, unpacked (one element per register, as arithmetic reads it):
     * made already, recomputed (cheap values), converted through shared memory, or unpacked from
     * its packed form here, at its first use in this scope.
     */
    public TileValue get(Value v, DistributedLayout l) {
        TileValue t = lookup(v, l, false);
        if (t != null) return t;
        t = getAny(v, l);
        if (t.isPacked()) {
            t = Packing.unpack(this, t, nanPayloads.observed(v));
            remember(v, t);
        }
        return t;
    }

    /**
     * {@code v} in layout {@code l} in whatever representation it has (packed where it was made
     * packed, see {@link TileValue}): for rules that only move values (stores, selects,
     * relabelings, loop-carried copies), which then keep 16-bit floats two to a register.
     */
    public TileValue getAny(Value v, DistributedLayout l) {
        TileValue t = lookup(v, l, true);
        if (t == null) t = lookup(v, l, false);
        if (t != null) return t;
        if (!v.type().isScalar() && layouts.isRematerializable(v)) {
            Op producer = layouts.producerOf(v);
            t = PtxLowering.value(producer, l, this);
        } else {
            DistributedLayout home = layoutOf(v);
            TileValue have = lookup(v, home, true);
            if (have == null) have = lookup(v, home, false);
            if (have == null) throw new IllegalStateException("value " + v + " used before it was lowered");
            t = LayoutConversion.convert(have, l, this);
        }
        remember(v, t);
        return t;
    }

    /** Whether a NaN pattern of the 16-bit float {@code v} may reach a store, a move or a bitcast (see {@link NanPayloads}). */
    public boolean nanPatternObserved(Value v) { return nanPayloads.observed(v); }

    /** {@code op}'s operand {@code v} in the layout the op reads it in, unpacked. */
    public TileValue operand(Op op, Value v) { return get(v, layouts.required(op, v)); }

    /** {@code op}'s operand {@code v} in the layout the op reads it in, in any representation. */
    public TileValue operandAny(Op op, Value v) { return getAny(v, layouts.required(op, v)); }

    /** {@code v} in the layout it was produced in, unpacked. */
    public TileValue primary(Value v) { return get(v, layoutOf(v)); }

    /** The key a value's registers are kept under: its layout, told apart by representation. */
    private record PackedKey(DistributedLayout layout) {}

    private static Object key(DistributedLayout l, boolean packed) { return packed ? new PackedKey(l) : l; }

    private TileValue lookup(Value v, DistributedLayout l, boolean packed) {
        if (v.type().isScalar()) l = layouts.scalar();
        Object k = key(l, packed);
        for (Map<Value, Map<Object, TileValue>> scope : scopes) {
            Map<Object, TileValue> m = scope.get(v);
            if (m != null && m.containsKey(k)) return m.get(k);
        }
        return null;
    }

    private void remember(Value v, TileValue t) {
        scopes.peek().computeIfAbsent(v, k -> new HashMap<>()).put(key(t.layout(), t.isPacked()), t);
    }

    /** Records {@code v}'s registers, then makes the conversions its users need once, here. */
    public void define(Value v, TileValue t) {
        if (!t.layout().equals(v.type().isScalar() ? layouts.scalar() : layoutOf(v))) {
            throw new IllegalStateException("value " + v + " lowered in " + t.layout() + ", assigned " + layoutOf(v));
        }
        remember(v, t);
        for (DistributedLayout l : layouts.eagerConversions(v)) remember(v, LayoutConversion.convert(t, l, this));
    }

    public void pushScope() { scopes.push(new IdentityHashMap<>()); }

    public void popScope() { scopes.pop(); }

    /** A value with fresh registers of {@code type} in layout {@code l}. */
    public TileValue fresh(DistributedLayout l, ElementType type) { return fresh(l, type, false); }

    /** As {@link #fresh(DistributedLayout, ElementType)}, packed (two 16-bit floats per .b32) if {@code packed}. */
    public TileValue fresh(DistributedLayout l, ElementType type, boolean packed) {
        int packing = packed ? 2 : 1;
        String[] regs = new String[l.numRegs() / packing];
        RegClass k = packed ? RegClass.B32 : RegClass.of(type);
        for (int i = 0; i < regs.length; i++) regs[i] = w.reg(k);
        return new TileValue(l, type, regs, packing);
    }

    // ------------------------------------------------------------------ narrow floats' memory bits

    /**
     * What is known of a narrow float held in an f32 register where it was made: its type, its
     * memory pattern (zero-extended in a 32-bit register), and the f32 it was rounded from, if it
     * was. A store then writes the pattern (or converts two sources at once) instead of recovering
     * it from the held value. Only registers written once are recorded, so the facts never go
     * stale; a register may stand for values of several types (an fp8 value widened to f16 is the
     * same f32), so the facts hold only for their own type. An element unpacked from a packed
     * 16-bit pair (see {@link Packing}) also names its {@code word} and {@code half} (0 low, 1
     * high): the word is the element's memory bits with its neighbour's, so packing the two again
     * is the word itself; {@code bits} may then be null (extracted from the word where needed).
     * A packed word is written once where it is made, or at the end of a loop body that carries
     * it, after every use of the elements unpacked from it in that iteration.
     */
    public record NarrowBits(DType type, String bits, String roundedFrom, String word, int half) {}

    public void recordNarrowBits(String held, DType type, String bits, String roundedFrom) {
        narrowBits.put(held, new NarrowBits(type, bits, roundedFrom, null, 0));
    }

    /** Records that unpacked {@code held} is half {@code half} (0 low, 1 high) of packed {@code word}. */
    public void recordPackedOrigin(String held, DType type, String word, int half) {
        narrowBits.put(held, new NarrowBits(type, null, null, word, half));
    }

    /** What is known of {@code held} as a value of {@code type}, or null. */
    public NarrowBits narrowBits(String held, DType type) {
        NarrowBits known = narrowBits.get(held);
        return known != null && known.type() == type ? known : null;
    }

    // ------------------------------------------------------------------ thread index

    public String tid() {
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

    public String lane() { tid(); return lane; }

    /** The block's threads: the layouts' warps and the producer's. */
    public int threads() { return (numWarps + producerWarps) * 32; }

    /**
     * The kernel's warps are specialized: {@code warps} producer warps run beside the layouts' warps,
     * whose barriers from here on count only them; a thread starts with {@code launchRegisters}
     * (0: as ptxas chooses).
     */
    public void specialize(int warps, int launchRegisters) {
        producerWarps = warps;
        maxRegisters = launchRegisters;
        smem.shareAmong(numWarps * 32);
    }

    /** The registers a thread may hold at launch, or 0 for ptxas's choice. */
    public int maxRegisters() { return maxRegisters; }

    /**
     * A register that depends only on the thread index (and registers of the same kind), computed
     * once, in the prologue, the first time {@code key} is asked for.
     */
    public String once(String key, java.util.function.Supplier<String> emit) {
        String known = prologueValues.get(key);
        if (known == null) {
            known = w.inPrologue(emit);
            prologueValues.put(key, known);
        }
        return known;
    }

    public String warp() { tid(); return warp; }

    /**
     * The flat-index bits a thread's lane and warp contribute in layout {@code l} (a register set
     * once in the prologue): element of register r = this | l.regPart(r).
     */
    public String threadOffset(DistributedLayout l) {
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
    public String owner(DistributedLayout l) {
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
    public String errorBuffer() {
        if (errorBuffer == null) {
            errorBuffer = w.inPrologue(() -> {
                String r = w.reg(RegClass.B64);
                w.op("ld.param.u64 %s, [%s]", r, DebugRules.ERROR_PARAM);
                return r;
            });
        }
        return errorBuffer;
    }

    public String kernelId() {
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
    public String printBuffer() {
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
    public String printFormat(String text) {
        String name = "$tessera_fmt" + formats++;
        int n = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
        w.global(".global .align 1 .b8 " + name + "[" + n + "] = {" + DebugRules.bytes(text) + "};");
        return name;
    }

    private boolean twoOverPi;

    /** Declares the Payne-Hanek table of 2/pi bits in the module once. */
    public void twoOverPiTable(String symbol, long[] words) {
        if (twoOverPi) return;
        twoOverPi = true;
        StringBuilder sb = new StringBuilder(".const .align 8 .b64 " + symbol + "[" + words.length + "] = {");
        for (int i = 0; i < words.length; i++) sb.append(i == 0 ? "" : ", ").append("0x").append(Long.toHexString(words[i]));
        w.global(sb.append("};").toString());
    }
}
