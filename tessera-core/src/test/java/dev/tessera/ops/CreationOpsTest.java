package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
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

/** Creation ops: arange, full (from a literal or a scalar tile), zeros, zerosLike, fullLike, scalar, programId and numPrograms. */
class CreationOpsTest {

    @Kernel
    static void create(Tile x, Tile out, @Constexpr DType T, @Constexpr String FORM) {
        Tile k = arange(0, 32);
        Tile r = switch (FORM) {
            case "arange" -> arange(5, 37).to(T);
            case "full" -> T.isFloat() ? full(T, 3.0, 32) : full(T, 3, 32);
            case "full long" -> full(T, 7L, 32);
            case "full 2d" -> full(T, 2L, 4, 8).reshape(32);
            case "full from a scalar tile" -> full(T, load(x), 32);
            case "zeros" -> zeros(T, 32);
            case "zeros 2d" -> zeros(T, 8, 4).reshape(32);
            case "zerosLike" -> zerosLike(load(x.add(k)));
            case "fullLike" -> fullLike(load(x.add(k)), 5); // the long overload: any dtype
            case "scalar int" -> broadcastTo(scalar(11), 32);
            case "scalar long" -> broadcastTo(scalar(12L), 32);
            case "scalar double" -> broadcastTo(scalar(2.5), 32);
            case "scalar boolean" -> broadcastTo(scalar(true), 32);
            default -> throw new IllegalArgumentException(FORM);
        };
        store(out.add(k), r);
    }

    static final JitKernel CREATE = Jit.kernel(CreationOpsTest.class, "create");

    static final String[] FORMS = {"arange", "full", "full long", "full 2d", "full from a scalar tile", "zeros", "zeros 2d", "zerosLike",
            "fullLike", "scalar int", "scalar long", "scalar double", "scalar boolean"};

    static Stream<Arguments> forms() { return cases(NUMERIC, (Object[]) FORMS); }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("forms")
    void creates(Device device, DType t, String form) {
        Device d = use(device);
        Tensor x = Tensor.from(new double[32], t, d, 32);
        x.write(java.util.stream.IntStream.range(0, 32).mapToDouble(i -> i == 0 ? 9 : i % 5).toArray());
        Tensor out = poisoned(t, d, 32);
        CREATE.launch(grid(1), x, out, t, form);
        double[] ref = new double[32];
        for (int i = 0; i < 32; i++) {
            ref[i] = switch (form) {
                case "arange" -> 5 + i; // fp8 rounds 5..36 within its tolerance
                case "full", "full 2d" -> form.equals("full") ? 3 : 2;
                case "full long" -> 7;
                case "full from a scalar tile" -> 9;
                case "zeros", "zeros 2d", "zerosLike" -> 0;
                case "fullLike" -> 5;
                case "scalar int" -> 11;
                case "scalar long" -> 12;
                case "scalar double" -> t.isFloat() ? 2.5 : 2; // f32 2.5 stored into an integer truncates
                case "scalar boolean" -> 1;
                default -> throw new IllegalArgumentException(form);
            };
        }
        Check.close(ref, out.toDoubleArray(), Tolerance.of(t), form + " " + t);
    }

    @Kernel
    static void programIds(Tile out) {
        Tile p0 = programId(0), p1 = programId(1), p2 = programId(2);
        Tile n0 = numPrograms(0), n1 = numPrograms(1), n2 = numPrograms(2);
        Tile linear = p2.mul(n1).add(p1).mul(n0).add(p0);
        Tile base = out.add(linear.mul(4));
        store(base, p0);
        store(base.add(1), p1);
        store(base.add(2), p2);
        store(base.add(3), n0.mul(10000).add(n1.mul(100)).add(n2));
    }

    static final JitKernel PIDS = Jit.kernel(CreationOpsTest.class, "programIds");

    static Stream<Arguments> grids() { return devicesWith(new int[] {1, 1, 1}, new int[] {7, 1, 1}, new int[] {3, 4, 1}, new int[] {3, 4, 5}, new int[] {1, 1, 9}); }

    @ParameterizedTest(name = "{0} grid {1}")
    @MethodSource("grids")
    void programIdAndNumProgramsInEveryAxis(Device device, int[] g) {
        Device d = use(device);
        int total = g[0] * g[1] * g[2];
        Tensor out = poisoned(DType.I32, d, 4L * total);
        PIDS.launch(grid(g), out);
        long[] ref = new long[4 * total];
        for (int z = 0; z < g[2]; z++) for (int y = 0; y < g[1]; y++) for (int x = 0; x < g[0]; x++) {
            int p = (z * g[1] + y) * g[0] + x;
            ref[4 * p] = x;
            ref[4 * p + 1] = y;
            ref[4 * p + 2] = z;
            ref[4 * p + 3] = g[0] * 10000L + g[1] * 100L + g[2];
        }
        Check.equal(ref, out.toLongArray(), "program ids of grid " + java.util.Arrays.toString(g));
    }
}
