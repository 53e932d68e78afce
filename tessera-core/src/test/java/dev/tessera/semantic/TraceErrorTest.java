package dev.tessera.semantic;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static dev.tessera.testing.SourceLines.mark;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.SourceLines;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every misuse fails at trace (or launch) time with a message that starts with this file's name
 * and the line of the offending call, and says what to change. Each kernel marks that line with
 * {@link SourceLines#mark} on the same line as the call.
 */
class TraceErrorTest {

    @Kernel
    static void shapeMismatch(Tile x) {
        Tile a = load(x.add(arange(0, 32))), b = load(x.add(arange(0, 64)));
        mark("shape mismatch"); Tile c = a.add(b);
    }

    @Kernel
    static void bitwiseOnFloats(Tile x) {
        Tile a = load(x.add(arange(0, 32)));
        mark("bitwise on floats"); a.and(a);
    }

    @Kernel
    static void mathOnIntegers(Tile x) {
        Tile i = arange(0, 32);
        mark("math on integers"); exp(i);
    }

    @Kernel
    static void arangeNotPowerOf2(Tile x) {
        mark("arange length"); arange(0, 10);
    }

    @Kernel
    static void breakInRunTimeLoop(Tile x, Tile n) {
        Var acc = var(0);
        mark("break"); for (Tile i : range(n)) {
            acc.set(acc.get().add(i));
            if (acc != null) break; // a Java break leaves the traced loop open
        }
        store(x, acc.get());
    }

    @Kernel
    static void returnInRunTimeLoop(Tile x, Tile n) {
        mark("return"); for (Tile i : range(n)) {
            store(x, i);
            return;
        }
    }

    @Kernel
    static void nestedBreak(Tile x, Tile n) {
        for (Tile i : range(n)) {
            mark("nested break"); for (Tile j : range(n)) {
                store(x, j);
                break;
            }
        }
    }

    @Kernel
    static void notAPointer(Tile x, Tile n) {
        mark("not a pointer"); load(n.add(arange(0, 16)));
    }

    @Kernel
    static void carriedTypeChanges(Tile x, Tile n) {
        Var acc = var(zeros(F32, 16));
        for (Tile i : range(n)) {
            mark("carried type"); acc.set(acc.get().to(F16));
        }
    }

    @Kernel
    static void tileCondition(Tile x) {
        Tile v = load(x.add(arange(0, 16)));
        mark("tile condition"); when(v.gt(0), () -> store(x, 1.0, null));
    }

    @Kernel
    static void dotTooSmall(Tile x) {
        Tile a = zeros(F32, 8, 8);
        mark("dot too small"); dot(a, a);
    }

    @Kernel
    static void dotInnerDimensions(Tile x) {
        mark("dot inner"); dot(zeros(F16, 16, 32), zeros(F16, 16, 32));
    }

    @Kernel
    static void reshapeCount(Tile x) {
        mark("reshape count"); zeros(F32, 32).reshape(4, 4);
    }

    @Kernel
    static void storeShape(Tile x) {
        mark("store shape"); store(x.add(arange(0, 32)), zeros(F32, 2, 32));
    }

    @Kernel
    static void otherWithoutMask(Tile x) {
        mark("other without mask"); load(x.add(arange(0, 16)), null, 0.0, dev.tessera.lang.MemoryOrder.Cache.NONE, dev.tessera.lang.MemoryOrder.Eviction.NORMAL);
    }

    @Kernel
    static void maskNotBoolean(Tile x) {
        Tile v = load(x.add(arange(0, 16)));
        mark("mask not i1"); load(x.add(arange(0, 16)), v);
    }

    @Kernel
    static void atomicOnI8(Tile x) {
        mark("atomic i8"); atomicAdd(x.asPointerTo(I8), 1L);
    }

    @Kernel
    static void combineUsesVar(Tile x) {
        Var outside = var(0.0);
        Tile v = load(x.add(arange(0, 16)));
        mark("combine var"); reduce(v, 0, (a, b) -> a.add(b).add(outside.get()));
    }

    @Kernel
    static void combineLoads(Tile x) {
        Tile v = load(x.add(arange(0, 16)));
        reduce(v, 0, (a, b) -> {
            mark("combine load"); return a.add(load(x));
        });
    }

    @Kernel
    static void tupleShapes(Tile x) {
        Tile v = load(x.add(arange(0, 16)));
        mark("tuple shapes"); reduce(List.of(v, arange(0, 32)), 0, (a, b) -> a);
    }

    @Kernel
    static void tupleCombineCount(Tile x) {
        Tile v = load(x.add(arange(0, 16)));
        mark("tuple combine"); reduce(List.of(v, arange(0, 16)), 0, (a, b) -> List.of(a.get(0)));
    }

    @Kernel
    static void floatLiteralForIntegers(Tile x) {
        mark("float literal"); full(I32, 2.5, 16);
    }

    @Kernel
    static void literalOutOfRange(Tile x) {
        Tile v = load(x.asPointerTo(U8).add(arange(0, 16)));
        mark("literal range"); v.add(300);
    }

    @Kernel
    static void tileTooLarge(Tile x) {
        mark("tile too large"); zeros(F32, 2048, 1024);
    }

    @Kernel
    static void blockNotPowerOf2(Tile x) {
        mark("block shape"); zeros(F32, 24);
    }

    @Kernel
    static void twoPointers(Tile x) {
        mark("two pointers"); x.add(x);
    }

    @Kernel
    static void mixedSignDivision(Tile x) {
        Tile a = arange(0, 16), b = arange(0, 16).to(U32);
        mark("mixed division"); a.div(b);
    }

    @Kernel
    static void rangeTwice(Tile x, Tile n) {
        Iterable<Tile> r = range(n);
        for (Tile i : r) store(x, i);
        mark("range twice"); for (Tile i : r) store(x, i);
    }

    @Kernel
    static void userException(Tile x) {
        int[] small = new int[2];
        mark("user exception"); small[arange(0, 4).numel()] = 1; // a bug in the kernel's own Java code
    }

    @Kernel
    static void whileSetsInCondition(Tile x, Tile n) {
        Var i = var(0);
        mark("while condition"); whileLoop(() -> { i.set(i.get().add(1)); return i.get().lt(n); }, () -> { });
    }

    @Kernel
    static void branchTypes(Tile x) {
        Var v = var(zeros(F32, 16));
        mark("branch types"); when(programId(0).eq(0), () -> v.set(zeros(F16, 16)));
    }

    @Kernel
    static void reductionAxis(Tile x) {
        mark("reduction axis"); sum(zeros(F32, 4, 4), 2);
    }

    @Kernel
    static void xorSumOfFloats(Tile x) {
        mark("xor sum floats"); xorSum(zeros(F32, 16), 0);
    }

    @Kernel
    static void bitcastWidth(Tile x) {
        mark("bitcast width"); zeros(F32, 16).bitcast(I16);
    }

    @Kernel
    static void permuteOrder(Tile x) {
        mark("permute order"); zeros(F32, 4, 8).permute(0, 0);
    }

    @Kernel
    static void splitLastDimension(Tile x) {
        mark("split"); split(zeros(F32, 4, 8));
    }

    @Kernel
    static void valueEscapesLoop(Tile x, Tile n) {
        Tile last = null;
        for (Tile i : range(n)) last = i.add(1); // a Java variable carries the tile out, but not its value
        mark("escapes loop"); store(x, last);
    }

    @Kernel
    static void valueEscapesBranch(Tile x, Tile n) {
        Tile[] inside = new Tile[1];
        when(n.gt(0), () -> inside[0] = n.add(1));
        mark("escapes branch"); store(x, inside[0].to(F32));
    }

    @Kernel
    static void zeroStep(Tile x, Tile n) {
        mark("zero step"); for (Tile i : range(0, 10, 0)) store(x, i);
    }

    @Kernel
    static void floatBounds(Tile x, Tile n) {
        mark("float bounds"); for (Tile i : range(load(x))) store(x, i);
    }

    @Kernel
    static void whileTileCondition(Tile x, Tile n) {
        mark("while tile condition"); whileLoop(() -> arange(0, 16).lt(n), () -> { });
    }

    @Kernel
    static void histogramOfFloats(Tile x) {
        mark("histogram floats"); histogram(load(x.add(arange(0, 32))), 16);
    }

    @Kernel
    static void histogramBins(Tile x) {
        mark("histogram bins"); histogram(arange(0, 32), 10);
    }

    record Case(String name, String hint) {
        @Override
        public String toString() { return name; }
    }

    static final Case[] CASES = {
        new Case("shapeMismatch", "do not broadcast"),
        new Case("bitwiseOnFloats", "bitwise operations take integers or i1"),
        new Case("mathOnIntegers", "convert first, e.g. x.to(F32)"),
        new Case("arangeNotPowerOf2", "use arange(0, 16) and mask the extra lanes"),
        new Case("breakInRunTimeLoop", "left early (break or return inside it)"),
        new Case("returnInRunTimeLoop", "left early (break or return inside it)"),
        new Case("nestedBreak", "left early"),
        new Case("notAPointer", "needs a pointer"),
        new Case("carriedTypeChanges", "a loop-carried value must keep its type"),
        new Case("tileCondition", "use where(...) or a mask"),
        new Case("dotTooSmall", "at least 16"),
        new Case("dotInnerDimensions", "inner dimensions differ"),
        new Case("reshapeCount", "element counts differ"),
        new Case("storeShape", "does not fit the pointer"),
        new Case("otherWithoutMask", "add a mask or drop 'other'"),
        new Case("maskNotBoolean", "mask must be i1"),
        new Case("atomicOnI8", "does not support i8"),
        new Case("combineUsesVar", "only its two arguments"),
        new Case("combineLoads", "only its arguments and elementwise operations"),
        new Case("tupleShapes", "takes tiles of one shape, got [f32[16], i32[32]]"),
        new Case("tupleCombineCount", "must return 2 scalars [f32, i32], got 1 values"),
        new Case("floatLiteralForIntegers", "cannot become i32"),
        new Case("literalOutOfRange", "does not fit in u8"),
        new Case("tileTooLarge", "more than the limit"),
        new Case("blockNotPowerOf2", "round the block up (e.g. 32) and mask"),
        new Case("twoPointers", "add integer offsets to one pointer instead"),
        new Case("mixedSignDivision", "convert one side with .to(...)"),
        new Case("rangeTwice", "call range again"),
        new Case("userException", "while tracing userException"),
        new Case("whileSetsInCondition", "set it in the body"),
        new Case("branchTypes", "both sides must leave it the same type"),
        new Case("reductionAxis", "out of range"),
        new Case("xorSumOfFloats", "takes integers"),
        new Case("bitcastWidth", "the widths differ"),
        new Case("permuteOrder", "is not a permutation"),
        new Case("splitLastDimension", "last dimension of size 2"),
        new Case("valueEscapesLoop", "computed inside the run-time loop at TraceErrorTest.java:"),
        new Case("valueEscapesBranch", "create a Var before it (var(...)), set the Var inside and read it after"),
        new Case("zeroStep", "range step must be positive, got 0"),
        new Case("floatBounds", "range bounds and step must be integer scalars, got f32"),
        new Case("whileTileCondition", "whileLoop needs a scalar condition"),
        new Case("histogramOfFloats", "histogram takes integers, got f32[32]: convert first"),
        new Case("histogramBins", "got 10: round it up (e.g. 16)"),
    };

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        TestDevices.all().forEach(d -> {
            for (Case c : CASES) out.add(Arguments.of(d, c));
        });
        return out.stream();
    }

    /** The mark of each kernel: its name, in words ("shapeMismatch" is marked "shape mismatch"). */
    static final Map<String, String> MARKS = Map.ofEntries(
            Map.entry("shapeMismatch", "shape mismatch"), Map.entry("bitwiseOnFloats", "bitwise on floats"),
            Map.entry("mathOnIntegers", "math on integers"), Map.entry("arangeNotPowerOf2", "arange length"),
            Map.entry("breakInRunTimeLoop", "break"), Map.entry("returnInRunTimeLoop", "return"), Map.entry("nestedBreak", "nested break"),
            Map.entry("notAPointer", "not a pointer"), Map.entry("carriedTypeChanges", "carried type"),
            Map.entry("tileCondition", "tile condition"), Map.entry("dotTooSmall", "dot too small"), Map.entry("dotInnerDimensions", "dot inner"),
            Map.entry("reshapeCount", "reshape count"), Map.entry("storeShape", "store shape"), Map.entry("otherWithoutMask", "other without mask"),
            Map.entry("maskNotBoolean", "mask not i1"), Map.entry("atomicOnI8", "atomic i8"), Map.entry("combineUsesVar", "combine var"),
            Map.entry("combineLoads", "combine load"), Map.entry("floatLiteralForIntegers", "float literal"),
            Map.entry("literalOutOfRange", "literal range"), Map.entry("tileTooLarge", "tile too large"), Map.entry("blockNotPowerOf2", "block shape"),
            Map.entry("twoPointers", "two pointers"), Map.entry("mixedSignDivision", "mixed division"), Map.entry("rangeTwice", "range twice"),
            Map.entry("userException", "user exception"), Map.entry("whileSetsInCondition", "while condition"),
            Map.entry("branchTypes", "branch types"), Map.entry("reductionAxis", "reduction axis"), Map.entry("xorSumOfFloats", "xor sum floats"),
            Map.entry("bitcastWidth", "bitcast width"), Map.entry("permuteOrder", "permute order"), Map.entry("splitLastDimension", "split"),
            Map.entry("valueEscapesLoop", "escapes loop"), Map.entry("valueEscapesBranch", "escapes branch"),
            Map.entry("zeroStep", "zero step"), Map.entry("floatBounds", "float bounds"), Map.entry("whileTileCondition", "while tile condition"),
            Map.entry("tupleShapes", "tuple shapes"), Map.entry("tupleCombineCount", "tuple combine"),
            Map.entry("histogramOfFloats", "histogram floats"), Map.entry("histogramBins", "histogram bins"));

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void failsNamingTheLineAndWhatToChange(Device device, Case c) {
        Device d = TestDevices.require(device);
        JitKernel k = Jit.kernel(TraceErrorTest.class, c.name());
        Tensor x = Tensor.zeros(DType.F32, d, 64);
        Object[] args = k.method().params().size() == 2 ? new Object[] {x, 8} : new Object[] {x};
        TraceException e = assertThrows(TraceException.class, () -> k.launch(grid(1), args), c.name() + " must fail to trace");
        String msg = e.getMessage(), prefix = SourceLines.prefix(TraceErrorTest.class, MARKS.get(c.name()));
        assertTrue(msg.startsWith(prefix + " "), "expected the message to start with '" + prefix + "': " + msg);
        assertTrue(msg.contains(c.hint()), "expected the message to say '" + c.hint() + "': " + msg);
        assertTrue(e.loc().isKnown(), "the exception carries the location too");
    }

    // ------------------------------------------------------------------ launch errors: the launch's line

    @Kernel
    static void add(Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        store(out.add(offs), load(x.add(offs), offs.lt(n)).add(load(y.add(offs), offs.lt(n))), offs.lt(n));
    }

    static final JitKernel ADD = Jit.kernel(TraceErrorTest.class, "add");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void launchErrorsNameTheLaunchLine(Device device) {
        Device d = TestDevices.require(device);
        Tensor x = Tensor.zeros(DType.F32, d, 8);
        TraceException e;

        e = assertThrows(TraceException.class, () -> { mark("too few"); ADD.launch(grid(1), x, x, 8); });
        expect(e, "too few", "takes 5 arguments (x, y, out, n, BLOCK), got 3");

        e = assertThrows(TraceException.class, () -> { mark("too many"); ADD.launch(grid(1), x, x, x, 8, 16, 1); });
        expect(e, "too many", "got 6");

        e = assertThrows(TraceException.class, () -> { mark("string arg"); ADD.launch(grid(1), x, x, x, "8", 16); });
        expect(e, "string arg", "argument n is a String; runtime arguments are tensors, tensor descriptors or Java numbers");

        e = assertThrows(TraceException.class, () -> { mark("null arg"); ADD.launch(grid(1), x, null, x, 8, 16); });
        expect(e, "null arg", "argument y is null");

        e = assertThrows(TraceException.class, () -> { mark("constexpr type"); ADD.launch(grid(1), x, x, x, 8, 16.5); });
        expect(e, "constexpr type", "constexpr BLOCK is declared int but was given Double");

        e = assertThrows(TraceException.class, () -> { mark("missing constexpr"); ADD.launch(grid(1), new Object[] {x, x, x, 8}, Map.of()); });
        expect(e, "missing constexpr", "needs a value for constexpr BLOCK");

        e = assertThrows(TraceException.class, () -> { mark("unknown constexpr"); ADD.launch(grid(1), new Object[] {x, x, x, 8}, Map.of("BLOCK", 16, "WARPS", 4)); });
        expect(e, "unknown constexpr", "has no constexpr named WARPS");

        Tensor closed = Tensor.zeros(DType.F32, d, 8);
        closed.close();
        e = assertThrows(TraceException.class, () -> { mark("closed tensor"); ADD.launch(grid(1), x, closed, x, 8, 16); });
        expect(e, "closed tensor", "argument y is a closed tensor");
    }

    private static void expect(TraceException e, String key, String text) {
        String prefix = SourceLines.prefix(TraceErrorTest.class, key);
        assertTrue(e.getMessage().startsWith(prefix + " "), "expected '" + prefix + "' first: " + e.getMessage());
        assertTrue(e.getMessage().contains(text), "expected '" + text + "': " + e.getMessage());
    }

    // ------------------------------------------------------------------ kernels that are not well-formed

    static void notAnnotated(Tile x) { }

    @Kernel
    static int returnsAValue(Tile x) { return 0; }

    @Kernel
    static void javaParameter(Tile x, int n) { }

    @Kernel
    static void constexprTile(@Constexpr Tile x) { }

    @Kernel
    void instanceMethod(Tile x) { }

    @Kernel
    static void overloaded(Tile x) { }

    @Kernel
    static void overloaded(Tile x, Tile y) { }

    @Test
    void malformedKernelsAreRejectedWhenLookedUp() {
        String[][] cases = {
            {"noSuchMethod", "has no method named 'noSuchMethod'"},
            {"notAnnotated", "is not annotated @Kernel"},
            {"returnsAValue", "must return void"},
            {"javaParameter", "must be a Tile (a runtime argument), a TensorDesc (a tensor descriptor) or marked @Constexpr"},
            {"constexprTile", "is a Tile and cannot be @Constexpr"},
            {"instanceMethod", "must be static"},
            {"overloaded", "is overloaded; kernels need unique names"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Jit.kernel(TraceErrorTest.class, c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }

    @Test
    void tileOperationsOutsideATraceSayHowToLaunch() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> arange(0, 16));
        assertTrue(e.getMessage().contains("launch the kernel"), e.getMessage());
    }

    @Test
    void aFixedKernelCompilesAfterAFailedTrace() {
        // a failed trace is not cached: the same specialization traces again next time
        JitKernel k = Jit.kernel(TraceErrorTest.class, "shapeMismatch");
        Tensor x = Tensor.zeros(DType.F32, 64);
        assertThrows(TraceException.class, () -> k.launch(grid(1), x));
        assertThrows(TraceException.class, () -> k.launch(grid(1), x));
        assertTrue(k.compiledCount() == 0);
    }
}
