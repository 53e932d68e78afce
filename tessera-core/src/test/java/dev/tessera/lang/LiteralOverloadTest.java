package dev.tessera.lang;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.ops.Ops;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Java's overload resolution sends an int literal to a double parameter when no integer overload
 * exists; TL must offer the integer forms so that {@code where(m, x, 0)}, {@code clamp(x, 0, 10)} and
 * {@code store(p, 7, m)} keep an integer tile integer (as Triton does), and still work on floats.
 */
class LiteralOverloadTest {

    @Kernel
    static void literals(Tile x, Tile out) {
        Tile k = arange(0, 8);
        Tile v = load(x.add(k));
        Tile m = k.lt(4);
        Tile a = where(m, v, 0), b = where(m, -1, v), c = clamp(v, 0, 10);
        staticAssert(a.dtype() == v.dtype() && b.dtype() == v.dtype() && c.dtype() == v.dtype(),
                "int literals keep " + v.dtype() + ": got " + a.dtype() + ", " + b.dtype() + ", " + c.dtype());
        store(out.add(k), a);
        store(out.add(k).add(8), b);
        store(out.add(k).add(16), c);
        store(out.add(k).add(24), 7, m); // an integer literal stored through any pointer
    }

    static final JitKernel LITERALS = Jit.kernel(LiteralOverloadTest.class, "literals");

    static Stream<Arguments> types() { return Ops.cases(DType.I32, DType.U8, DType.I64, DType.F32, DType.BF16); }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("types")
    void intLiteralsKeepTheTilesDtype(Device device, DType t) {
        Device d = Ops.use(device);
        double[] in = {-5, 3, 12, 7, 20, 0, 11, 9};
        if (t.isUnsigned()) in[0] = 5;
        Tensor x = Tensor.from(in, t, d, 8), out = Ops.poisoned(t, d, 32);
        LITERALS.launch(grid(1), x, out);
        double[] ref = new double[32];
        for (int i = 0; i < 8; i++) {
            ref[i] = i < 4 ? in[i] : 0;
            ref[8 + i] = i < 4 ? (t.isUnsigned() ? 255 : -1) : in[i]; // -1 is the u8 bit pattern 255
            ref[16 + i] = Math.min(Math.max(in[i], 0), 10);
        }
        double[] o = out.toDoubleArray();
        for (int i = 0; i < 8; i++) ref[24 + i] = i < 4 ? 7 : t.isFloat() ? Double.NaN : Ops.sentinel(t); // masked-off lanes keep the poison
        Check.close(ref, o, Tolerance.EXACT, "literals with " + t);
    }
}
