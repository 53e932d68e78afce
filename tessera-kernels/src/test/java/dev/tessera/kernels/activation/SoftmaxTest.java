package dev.tessera.kernels.activation;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Softmax against a float64 reference, on every device. */
@ExtendWith(SeedExtension.class)
class SoftmaxTest {

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() {
        return TestDevices.all().flatMap(d -> java.util.stream.Stream.of(DType.F32, DType.F16, DType.BF16)
                .map(t -> org.junit.jupiter.params.provider.Arguments.of(d, t)));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void softmax(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 19, n = 777;
        try (Tensor x = Tensor.randn(dtype, seed, d, rows, n); Tensor y = Tensor.full(dtype, Double.NaN, d, rows, n)) {
            Softmax.softmax(x, y);
            double[] xv = x.toDoubleArray(), ref = new double[rows * n];
            for (int r = 0; r < rows; r++) {
                double m = Double.NEGATIVE_INFINITY, s = 0;
                for (int j = 0; j < n; j++) m = Math.max(m, xv[r * n + j]);
                for (int j = 0; j < n; j++) s += Math.exp(xv[r * n + j] - m);
                for (int j = 0; j < n; j++) ref[r * n + j] = Math.exp(xv[r * n + j] - m) / s;
            }
            Check.close(ref, y.toDoubleArray(), Tolerance.of(dtype), "softmax " + dtype);
        }
    }
}
