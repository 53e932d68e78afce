package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** rint (and its name round): ties to even, the sign of zero kept, NaN and infinities through, in every float dtype. */
class RoundingTest {
    @Kernel
    static void rintKernel(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = arange(0, BLOCK), mask = offs.lt(n);
        store(out.add(offs), rint(load(x.add(offs), mask)), mask);
    }

    static final JitKernel RINT = Jit.kernel(RoundingTest.class, "rintKernel");

    static Stream<Arguments> floats() { return cases(new DType[] {DType.F64, DType.F32, DType.F16, DType.BF16, DType.FP8E4M3, DType.FP8E5M2}); }

    static final double[] INPUTS = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, -0.3, 0.3, -0.0, 0.0, 0.75, 1.25, -7.75, 6.5, 127.5, 4095.5,
            8388607.5, 0.49999997, 1e30, -1e30, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 2.0, -3.0};

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("floats")
    void tiesGoToEven(Device device, DType t) {
        Device d = use(device);
        Tensor x = Tensor.from(INPUTS, t, d, INPUTS.length), out = poisoned(t, d, INPUTS.length);
        RINT.launch(grid(1), x, out, INPUTS.length, 32);
        double[] in = x.toDoubleArray(), got = out.toDoubleArray(); // the inputs as the dtype holds them
        for (int i = 0; i < in.length; i++) {
            double want = Math.rint(in[i]);
            assertEquals(Double.doubleToLongBits(want), Double.doubleToLongBits(got[i]), t + " rint(" + in[i] + ") = " + want + ", got " + got[i]);
        }
    }
}
