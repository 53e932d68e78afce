package dev.tessera.cpu;

import static java.lang.constant.ConstantDescs.*;

import dev.tessera.ir.Op;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes the {@link FusedLoops} of a {@link FusionGroup} as a hidden class (java.lang.classfile)
 * whose {@code run} walks the lanes chunk by chunk, each lane's ops computed in locals, so that C2
 * compiles one loop instead of a pass over an array per op. Vector add becomes:
 * <pre>
 *   for (c = 0; c &lt; chunks; c++) {               // first = c * chunk, end = first + chunk
 *       MemoryAccess.read(F32, seg_x, off_x[c], xs, first, chunk);   // loads: one bulk copy each
 *       MemoryAccess.read(F32, seg_y, off_y[c], ys, first, chunk);
 *       for (lane = first; lane &lt; end; lane++) {
 *           boolean m = base + lane &lt; n;                              // an op (LaneCode)
 *           float s = (m ? xs[lane] : 0f) + (m ? ys[lane] : 0f);
 *           out[lane] = s;  mask[lane] = m;                          // the store's strip, staged
 *       }
 *       FusedMemory.write(F32, out, mask, first, chunk, seg_out, off_out[c]);   // copied out
 *   }
 * </pre>
 * Every array is indexed by the lane, as in the unfused rules' loops: C2 vectorizes a loop over
 * arrays, but not one that also touches device memory or indexes two arrays of one type
 * differently (it cannot rule out that they are one array). Values from outside the group are
 * read from their arrays, or once before the loop when every lane has the same (splats,
 * constants); aranges are the lane index. Values other steps read are written to their arrays.
 */
final class FusedCodegen {
    private FusedCodegen() {}

    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    private static final ClassDesc EXEC_FRAME = LaneCode.desc(ExecFrame.class), LOOPS = LaneCode.desc(FusedLoops.class),
            FUSED_MEMORY = LaneCode.desc(FusedMemory.class), MEMORY_ACCESS = LaneCode.desc(MemoryAccess.class);
    private static final ClassFile CLASS_FILE = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
            ClassHierarchyResolver.defaultResolver().orElse(ClassHierarchyResolver.ofClassLoading(FusedCodegen.class.getClassLoader()))));

    static FusedLoops generate(FusionGroup g, Lowering l) {
        ClassDesc name = ClassDesc.of(FusedCodegen.class.getPackageName(), "Fused_" + l.kernelName.replaceAll("[^A-Za-z0-9_]", "_"));
        byte[] bytes = CLASS_FILE.build(name, cb -> cb
                .withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC)
                .withSuperclass(CD_Object)
                .withInterfaceSymbols(LOOPS)
                .withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC,
                        b -> b.aload(0).invokespecial(CD_Object, INIT_NAME, MTD_void).return_())
                .withMethodBody("chunkAddresses", MethodTypeDesc.of(CD_void, EXEC_FRAME, CD_long.arrayType()), ClassFile.ACC_PUBLIC,
                        b -> new Emitter(g, l, b).chunkAddresses())
                .withMethodBody("run", MethodTypeDesc.of(CD_void, EXEC_FRAME, LaneCode.MEMORY_SEGMENT.arrayType(), CD_long.arrayType()),
                        ClassFile.ACC_PUBLIC, b -> new Emitter(g, l, b).run()));
        try {
            MethodHandles.Lookup hidden = LOOKUP.defineHiddenClass(bytes, true);
            return (FusedLoops) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (Throwable e) {
            throw new IllegalStateException("the fused loop of " + l.kernelName + " does not load", e);
        }
    }

    /** Emits one method: locals for what it hoists, then the chunk and lane loops. */
    private static final class Emitter {
        private static final int FRAME = 1, SEGMENTS = 2, OFFSETS = 3, ADDRESSES = 2;

        private final FusionGroup g;
        private final Lowering l;
        private final CodeBuilder code;
        private final Map<Value, Consumer<CodeBuilder>> pushers = new IdentityHashMap<>();
        private final Map<Value, Consumer<CodeBuilder>> scalars = new IdentityHashMap<>();
        private final Map<Value, Integer> arrays = new IdentityHashMap<>();
        private final Map<Op, Integer> accessIndex = new IdentityHashMap<>();
        private final Map<Value, Integer> externalArrays = new IdentityHashMap<>();
        private final int[] stage, mask;
        private final int slots, lane, chunk;

        Emitter(FusionGroup g, Lowering l, CodeBuilder code) {
            this.g = g;
            this.l = l;
            this.code = code;
            for (int k = 0; k < g.accesses.size(); k++) accessIndex.put(g.accesses.get(k).op(), k);
            stage = new int[g.accesses.size()];
            mask = new int[g.accesses.size()];
            slots = code.allocateLocal(TypeKind.REFERENCE);
            lane = code.allocateLocal(TypeKind.INT);
            chunk = code.allocateLocal(TypeKind.INT);
            code.aload(FRAME).getfield(EXEC_FRAME, "slots", CD_Object.arrayType()).astore(slots);
        }

        /** The device address of the first lane of every chunk of every access (no loads: see FusionGroup.needsLoad). */
        void chunkAddresses() {
            hoistOperands(g.addressOps);
            for (FusedAccess a : g.accesses) {
                scalar(a.base());
                if (g.producer(a.offsets()) == null) hoist(a.offsets());
            }
            chunkLoop(() -> {
                code.iload(chunk).loadConstant(g.chunk).imul().istore(lane);
                for (Op op : g.addressOps) compute(op, false);
                for (int k = 0; k < g.accesses.size(); k++) {
                    FusedAccess a = g.accesses.get(k);
                    code.aload(ADDRESSES).loadConstant(k * g.chunks).iload(chunk).iadd();
                    scalar(a.base()).accept(code);
                    push(code, a.offsets());
                    Storage os = Storage.of(a.offsets().type());
                    if (os == Storage.INT) {
                        if (a.offsets().type().dtype() == DType.U32) {
                            code.invokestatic(LaneCode.INTEGER, "toUnsignedLong", MethodTypeDesc.of(CD_long, CD_int));
                        } else {
                            code.i2l();
                        }
                    }
                    code.loadConstant((long) a.elementSize()).lmul().ladd().lastore();
                }
            });
            code.return_();
        }

        /** Every lane of every chunk: loads copied in, lanes computed over arrays, stores copied out. */
        void run() {
            hoistOperands(g.laneOps);
            for (Op op : g.laneOps) {
                for (Value r : op.results()) {
                    if (!g.materialized.contains(r) || FusionGroup.isAlias(op)) continue;
                    int a = code.allocateLocal(TypeKind.REFERENCE);
                    loadSlot(r);
                    code.astore(a);
                    arrays.put(r, a);
                }
            }
            int n = g.accesses.size();
            int[] segment = new int[n], offset = new int[n];
            for (int k = 0; k < n; k++) {
                segment[k] = code.allocateLocal(TypeKind.REFERENCE);
                offset[k] = code.allocateLocal(TypeKind.LONG);
                code.aload(SEGMENTS).loadConstant(k).aaload().astore(segment[k]);
                stage[k] = hoistScratch(g.stageSlots[k], Storage.of(g.accesses.get(k).type()));
                mask[k] = hoistScratch(g.maskSlots[k], Storage.BOOL);
            }
            int first = code.allocateLocal(TypeKind.INT), end = code.allocateLocal(TypeKind.INT);
            chunkLoop(() -> {
                code.iload(chunk).loadConstant(g.chunk).imul().istore(first);
                code.iload(first).loadConstant(g.chunk).iadd().istore(end);
                for (int k = 0; k < n; k++) {
                    FusedAccess a = g.accesses.get(k);
                    code.aload(OFFSETS).loadConstant(k * g.chunks).iload(chunk).iadd().laload().lstore(offset[k]);
                    if (a.isStore() || stage[k] < 0) continue;
                    pushEnum(a.type());
                    code.aload(segment[k]).lload(offset[k]).aload(stage[k]).iload(first).loadConstant(g.chunk).invokestatic(MEMORY_ACCESS, "read",
                            MethodTypeDesc.of(CD_void, LaneCode.DTYPE, LaneCode.MEMORY_SEGMENT, CD_long, CD_Object, CD_int, CD_int));
                    if (maskedBeforeTheLoop(a)) applyMask(a, stage[k], first, end);
                }
                laneLoop(first, end, () -> {
                    for (Op op : g.laneOps) {
                        Integer k = accessIndex.get(op);
                        if (k == null) compute(op, true);
                        else if (g.accesses.get(k).isStore()) store(g.accesses.get(k), k);
                        else load(g.accesses.get(k), k);
                    }
                });
                for (int k = 0; k < n; k++) {
                    FusedAccess a = g.accesses.get(k);
                    if (!a.isStore()) continue;
                    pushEnum(a.type());
                    code.aload(stage[k]);
                    if (mask[k] < 0) code.aconst_null();
                    else code.aload(mask[k]);
                    code.iload(first).loadConstant(g.chunk).aload(segment[k]).lload(offset[k]).invokestatic(FUSED_MEMORY, "write",
                            MethodTypeDesc.of(CD_void, LaneCode.DTYPE, CD_Object, CD_boolean.arrayType(), CD_int, CD_int, LaneCode.MEMORY_SEGMENT, CD_long));
                }
            });
            code.return_();
        }

        /**
         * Whether a load's mask is applied to the staged chunk before the lanes run: when the mask is
         * an array from outside the group and the other value is not computed in the loop.
         */
        private boolean maskedBeforeTheLoop(FusedAccess a) {
            return a.mask() != null && g.producer(a.mask()) == null && g.hasArray(a.mask(), l)
                    && (a.other() == null || g.producer(a.other()) == null);
        }

        /** Masked-off lanes of a staged chunk get the load's other value (no work when the chunk's mask is all true). */
        private void applyMask(FusedAccess a, int stage, int first, int end) {
            code.aload(arrayOf(a.mask())).iload(first).loadConstant(g.chunk)
                    .invokestatic(FUSED_MEMORY, "allActive", MethodTypeDesc.of(CD_boolean, CD_boolean.arrayType(), CD_int, CD_int));
            code.ifThen(Opcode.IFEQ, b -> laneLoop(first, end, () -> {
                push(code, a.mask());
                code.ifThen(Opcode.IFEQ, t -> {
                    t.aload(stage).iload(lane);
                    pushOther(t, a);
                    t.arrayStore(LaneCode.kind(Storage.of(a.type())));
                });
            }));
        }

        /** The local holding an external value's array (hoisted before the loops). */
        private int arrayOf(Value v) {
            Integer local = externalArrays.get(v);
            if (local == null) throw new IllegalStateException(v + " has no hoisted array");
            return local;
        }

        /** for (lane = first; lane &lt; end; lane++) body: every array indexed by the lane, so C2 sees no aliasing and vectorizes. */
        private void laneLoop(int first, int end, Runnable body) {
            Label test = code.newLabel(), start = code.newLabel();
            code.iload(first).istore(lane).goto_(test).labelBinding(start);
            body.run();
            code.iinc(lane, 1).labelBinding(test).iload(lane).iload(end).if_icmplt(start);
        }

        /** A scratch slot's array in a local (-1 for none). */
        private int hoistScratch(int slot, Storage s) {
            if (slot < 0) return -1;
            int local = code.allocateLocal(TypeKind.REFERENCE);
            code.aload(slots).loadConstant(slot).aaload().checkcast(LaneCode.javaType(s).arrayType()).astore(local);
            return local;
        }

        private void pushEnum(DType t) { code.getstatic(LaneCode.DTYPE, t.name(), LaneCode.DTYPE); }

        /** for (counter = 0; counter &lt; limit; counter += step) body. */
        private void loop(int counter, Consumer<CodeBuilder> limit, int step, Runnable body) {
            Label test = code.newLabel(), start = code.newLabel();
            code.iconst_0().istore(counter).goto_(test).labelBinding(start);
            body.run();
            code.iinc(counter, step).labelBinding(test).iload(counter);
            limit.accept(code);
            code.if_icmplt(start);
        }

        private void chunkLoop(Runnable body) { loop(chunk, b -> b.loadConstant(g.chunks), 1, body); }

        // ------------------------------------------------------------------ values

        /** Hoists what the ops read from outside the group. */
        private void hoistOperands(List<Op> ops) {
            for (Op op : ops) {
                if (op instanceof Op.Splat s) scalar(s.source());
                for (Value v : FusionGroup.laneOperands(op)) if (g.producer(v) == null) hoist(v);
            }
        }

        /** Makes a value from outside the group pushable: a literal, the lane index, a scalar read once, or its array. */
        private void hoist(Value v) {
            if (pushers.containsKey(v)) return;
            switch (l.producer(v)) {
                case Op.Constant c -> pushers.put(v, literal(c));
                case Op.Arange a -> pushers.put(v, b -> {
                    b.iload(lane);
                    if (a.start() != 0) b.loadConstant(a.start()).iadd();
                });
                case Op.Splat s -> pushers.put(v, scalar(s.source()));
                case null, default -> {
                    int array = code.allocateLocal(TypeKind.REFERENCE);
                    loadSlot(v);
                    code.astore(array);
                    externalArrays.put(v, array);
                    TypeKind kind = LaneCode.kind(Storage.of(v.type()));
                    pushers.put(v, b -> b.aload(array).iload(lane).arrayLoad(kind));
                }
            }
        }

        /** A scalar value, read before the loop. */
        private Consumer<CodeBuilder> scalar(Value s) {
            return scalars.computeIfAbsent(s, v -> {
                if (l.producer(v) instanceof Op.Constant c) return literal(c);
                Storage st = Storage.of(v.type());
                TypeKind local = LaneCode.kind(st) == TypeKind.BOOLEAN ? TypeKind.INT : LaneCode.kind(st);
                int x = code.allocateLocal(local);
                loadSlot(v);
                code.iconst_0().arrayLoad(LaneCode.kind(st)).storeLocal(local, x);
                return b -> b.loadLocal(local, x);
            });
        }

        /** Pushes the array of v's slot, cast to its storage's array type. */
        private void loadSlot(Value v) {
            code.aload(slots).loadConstant(l.slot(v)).aaload().checkcast(LaneCode.javaType(Storage.of(v.type())).arrayType());
        }

        /** A constant's value as {@link ElementwiseRules#constant} fills its array. */
        private Consumer<CodeBuilder> literal(Op.Constant c) {
            Number v = c.value();
            return switch (Storage.of(c.result().type())) {
                case FLOAT -> {
                    float x = NarrowTypes.round(v.floatValue(), c.result().type().dtype());
                    int bits = Float.floatToRawIntBits(x);
                    yield x != x || x == 0 ? b -> b.loadConstant(bits).invokestatic(LaneCode.FLOAT, "intBitsToFloat", MethodTypeDesc.of(CD_float, CD_int))
                            : b -> b.loadConstant(x);
                }
                case DOUBLE -> {
                    double x = v.doubleValue();
                    long bits = Double.doubleToRawLongBits(x);
                    yield x != x || x == 0 ? b -> b.loadConstant(bits).invokestatic(LaneCode.DOUBLE, "longBitsToDouble", MethodTypeDesc.of(CD_double, CD_long))
                            : b -> b.loadConstant(x);
                }
                case INT -> b -> b.loadConstant((int) v.longValue());
                case LONG -> b -> b.loadConstant(v.longValue());
                case BOOL -> b -> b.loadConstant(v.longValue() != 0 ? 1 : 0);
            };
        }

        private void push(CodeBuilder b, Value v) {
            Consumer<CodeBuilder> p = pushers.get(v);
            if (p == null) throw new IllegalStateException("fused loop of " + l.kernelName + ": " + v + " is not computed before its use");
            p.accept(b);
        }

        /** Computes a member that is not an access into a local (splats and aliases need no code). */
        private void compute(Op op, boolean materialize) {
            if (FusionGroup.isAlias(op)) { // its array is its source's, set after the loop
                Value source = op.operands().getFirst();
                pushers.put(op.result(), b -> push(b, source));
                return;
            }
            if (op instanceof Op.Splat s) {
                pushers.put(s.result(), scalar(s.source()));
            } else {
                LaneCode.Recipe recipe = LaneCode.of(op);
                for (Value v : recipe.operands()) push(code, v);
                recipe.apply().accept(code);
                keep(op.result());
            }
            if (materialize) materialize(op.result());
        }

        /** Stores the value on the stack in a new local, from which later ops push it. */
        private void keep(Value v) {
            TypeKind kind = LaneCode.kind(Storage.of(v.type()));
            TypeKind local = kind == TypeKind.BOOLEAN ? TypeKind.INT : kind;
            int x = code.allocateLocal(local);
            code.storeLocal(local, x);
            pushers.put(v, b -> b.loadLocal(local, x));
        }

        /** Writes the lane's value to v's array if another step reads it. */
        private void materialize(Value v) {
            Integer array = arrays.get(v);
            if (array == null) return;
            code.aload(array).iload(lane);
            push(code, v);
            code.arrayStore(LaneCode.kind(Storage.of(v.type())));
        }

        // ------------------------------------------------------------------ memory

        /** The lane's staged element, or other where a mask computed in the loop is false, as MemoryRules.load. */
        private void load(FusedAccess a, int k) {
            Storage st = Storage.of(a.type());
            Consumer<CodeBuilder> get = b -> b.aload(stage[k]).iload(lane).arrayLoad(LaneCode.kind(st));
            boolean selects = a.mask() != null && !maskedBeforeTheLoop(a);
            if (selects) {
                push(code, a.mask());
                code.ifThenElse(Opcode.IFNE, get::accept, b -> pushOther(b, a));
            } else {
                get.accept(code);
            }
            Value result = a.op().results().getFirst();
            keep(result);
            if (selects) materialize(result); // else the staged chunk is already the result's array, where it has one
        }

        private void pushOther(CodeBuilder b, FusedAccess a) {
            if (a.other() != null) push(b, a.other());
            else zero(b, Storage.of(a.type()));
        }

        /** Stages the lane's value (unless its own array already holds it) and computed mask for FusedMemory.write. */
        private void store(FusedAccess a, int k) {
            if (!g.ownStage[k]) {
                code.aload(stage[k]).iload(lane);
                push(code, a.value());
                code.arrayStore(LaneCode.kind(Storage.of(a.type())));
            }
            if (mask[k] >= 0 && !g.ownMask[k]) {
                code.aload(mask[k]).iload(lane);
                push(code, a.mask());
                code.arrayStore(TypeKind.BOOLEAN);
            }
        }

        private static void zero(CodeBuilder b, Storage s) {
            switch (s) {
                case FLOAT -> b.fconst_0();
                case DOUBLE -> b.dconst_0();
                case LONG -> b.lconst_0();
                case INT, BOOL -> b.iconst_0();
            }
        }
    }
}
