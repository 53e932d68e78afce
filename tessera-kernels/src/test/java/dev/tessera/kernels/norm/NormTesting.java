package dev.tessera.kernels.norm;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;

/** What the norm tests share: rounding to a dtype, a scale-aware comparison. */
final class NormTesting {
    private NormTesting() {}

    /** values rounded to t (through the runtime's conversions, which the op suite checks bit for bit). */
    static double[] rounded(double[] values, DType t) {
        try (Tensor r = Tensor.from(values, t, Device.cpu(), values.length)) {
            return r.toDoubleArray();
        }
    }

    /** |out − ref| ≤ atol · max(1, scale) + rtol · |ref| elementwise, scale the sum of the terms' magnitudes. */
    static void close(double[] ref, double[] scale, double[] out, double atol, double rtol, String what) {
        assertEquals(ref.length, out.length, what);
        for (int i = 0; i < ref.length; i++) {
            double bound = atol * Math.max(1, scale[i]) + rtol * Math.abs(ref[i]);
            if (!(Math.abs(out[i] - ref[i]) <= bound)) fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i] + " ± " + bound);
        }
    }
}
