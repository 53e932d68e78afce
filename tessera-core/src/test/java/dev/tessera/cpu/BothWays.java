package dev.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.KernelFault;
import dev.tessera.ir.KernelIR;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.IrRunner;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Runs a kernel compiled with fusion and without on identical fresh arguments, and requires the
 * same bytes in every tensor afterwards and the same fault message, if any. The one allowance: a
 * NaN equals any NaN of its format. Java leaves the sign and payload of a NaN that arithmetic makes
 * from two NaNs to the hardware, which returns one operand's, and C2 may commute an addition, so
 * the unfused steps do not fix those bits either (NaNs that are only moved keep theirs both ways).
 */
final class BothWays {
    private BothWays() {}

    static final Device CPU = Device.cpu();

    /** After one launch: each tensor argument's dtype and bytes, and the fault's message (null without one). */
    record Outcome(List<DType> types, List<byte[]> memory, String fault) {}

    /** Compares both ways; returns how many fused loops the fused kernel has. */
    static int check(String what, KernelIR ir, int[] grid, Supplier<Object[]> arguments) {
        CompiledKernel fused = CpuCompilers.compile(ir, true), unfused = CpuCompilers.compile(ir, false);
        Outcome expected = run(unfused, grid, arguments), actual = run(fused, grid, arguments);
        assertEquals(expected.fault(), actual.fault(), what + ": fault");
        for (int t = 0; t < expected.memory().size(); t++) {
            DType type = expected.types().get(t);
            byte[] e = expected.memory().get(t), a = actual.memory().get(t);
            int es = type.byteSize();
            for (int i = 0; i < e.length / es; i++) {
                long x = element(e, i, es), y = element(a, i, es);
                if (x != y && !(isNaN(x, type) && isNaN(y, type))) {
                    fail(what + ": tensor argument " + t + " (" + type + ") differs first at element " + i + ": fused 0x" + Long.toHexString(y)
                            + ", unfused 0x" + Long.toHexString(x) + "\nfused loops:\n" + String.join("\n", CpuCompilers.fusedLoops(fused)) + "\n" + ir);
                }
            }
        }
        return CpuCompilers.fusedLoops(fused).size();
    }

    static Outcome run(CompiledKernel k, int[] grid, Supplier<Object[]> arguments) {
        Object[] args = arguments.get();
        String fault = null;
        try {
            IrRunner.run(k, grid, args);
        } catch (KernelFault f) {
            fault = f.getMessage();
        }
        List<DType> types = new ArrayList<>();
        List<byte[]> memory = new ArrayList<>();
        for (Object a : args) {
            if (a instanceof Tensor t) {
                types.add(t.dtype());
                memory.add(bytes(t));
                t.close();
            }
        }
        return new Outcome(types, memory, fault);
    }

    private static long element(byte[] b, int i, int es) {
        long v = 0;
        for (int k = es - 1; k >= 0; k--) v = v << 8 | (b[i * es + k] & 0xFF);
        return v;
    }

    private static boolean isNaN(long bits, DType t) {
        return switch (t) {
            case F32 -> Float.isNaN(Float.intBitsToFloat((int) bits));
            case F64 -> Double.isNaN(Double.longBitsToDouble(bits));
            case F16 -> (bits & 0x7C00) == 0x7C00 && (bits & 0x3FF) != 0;
            case BF16 -> (bits & 0x7F80) == 0x7F80 && (bits & 0x7F) != 0;
            case FP8E4M3, FP8E5M2 -> Float.isNaN(Numerics.decode((int) bits, t));
            default -> false;
        };
    }

    static byte[] bytes(Tensor t) {
        long n = t.numel() * t.dtype().byteSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(Math.max(1, n));
            t.device().backendImpl().copyOut(t.buffer(), 0, host, n);
            return host.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** A tensor of n elements holding these bytes (bit patterns of any kind: NaNs, denormals, huge integers). */
    static Tensor ofBytes(DType dtype, int n, byte[] bytes) {
        Tensor t = Tensor.empty(dtype, CPU, n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, host, ValueLayout.JAVA_BYTE, 0, bytes.length);
            t.device().backendImpl().copyIn(host, t.buffer(), 0, bytes.length);
        }
        return t;
    }
}
