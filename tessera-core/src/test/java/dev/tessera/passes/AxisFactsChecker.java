package dev.tessera.passes;

import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.ir.Printer;
import dev.tessera.ir.Region;
import dev.tessera.ir.Shape;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import dev.tessera.ir.Verifier;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.IrRunner;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import dev.tessera.types.PointerType;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks AxisInfo's claims against values a kernel really computes: the kernel is rewritten to also
 * store every top-level integer, mask and pointer value (as i64) to a debug buffer, run on the CPU,
 * and each claimed run of consecutive values, divisibility and run of equal values is checked.
 */
final class AxisFactsChecker {
    private AxisFactsChecker() {}

    private record Probe(Value value, int offset) {}

    /** Runs {@code kernel} with {@code args} (the debug buffer is appended) over {@code programs} programs and checks. */
    static int check(KernelIR kernel, int programs, Object... args) {
        AxisInfo info = AxisInfo.analyze(kernel);
        List<Probe> probes = new ArrayList<>();
        int total = 0;
        for (Op op : kernel.body().ops()) {
            for (Value v : op.results()) {
                if (v.type().isPointer() || !v.type().dtype().isFloat()) {
                    probes.add(new Probe(v, total));
                    total += v.type().numel();
                }
            }
        }
        KernelIR probed = instrument(kernel, probes, total);
        Object[] all = java.util.Arrays.copyOf(args, args.length + 1);
        try (Tensor debug = Tensor.zeros(DType.I64, Device.cpu(), (long) total * programs)) {
            all[args.length] = debug;
            IrRunner.run(probed, new int[] {programs}, all);
            long[] values = debug.toLongArray();
            for (int p = 0; p < programs; p++) {
                for (Probe probe : probes) {
                    long[] v = java.util.Arrays.copyOfRange(values, p * total + probe.offset, p * total + probe.offset + probe.value.type().numel());
                    verify(probe.value, v, info.of(probe.value), kernel);
                }
            }
        }
        return probes.size();
    }

    private static KernelIR instrument(KernelIR kernel, List<Probe> probes, int total) {
        int[] next = {Values.maxId(kernel) + 1};
        java.util.function.Function<Type, Value> fresh = t -> new Value(next[0]++, t);
        Value debug = fresh.apply(Type.scalar(new PointerType(DType.I64)));
        List<Op> ops = new ArrayList<>(kernel.body().ops());
        Loc loc = Loc.UNKNOWN;
        Value pid = fresh.apply(Type.scalar(DType.I32));
        ops.add(new Op.ProgramId(pid, 0, loc));
        Value stride = fresh.apply(Type.scalar(DType.I32));
        ops.add(new Op.Constant(stride, (long) total, loc));
        Value base = fresh.apply(Type.scalar(DType.I32));
        ops.add(new Op.Binary(base, Op.Binary.Fn.MUL, pid, stride, loc));
        for (Probe probe : probes) {
            Value v = probe.value;
            int n = v.type().numel();
            Shape flat = Shape.of(n);
            Value wide = fresh.apply(new Type(DType.I64, v.type().shape()));
            ops.add(v.type().isPointer() ? new Op.Bitcast(wide, v, loc) : new Op.Convert(wide, v, Numerics.Rounding.NEAREST_EVEN, loc));
            Value line = fresh.apply(new Type(DType.I64, flat));
            ops.add(v.type().isScalar() ? new Op.Splat(line, wide, loc) : new Op.Reshape(line, wide, loc));
            Value lanes = fresh.apply(Type.of(DType.I32, n)), start = fresh.apply(Type.scalar(DType.I32)), at = fresh.apply(Type.scalar(DType.I32));
            ops.add(new Op.Arange(lanes, 0, n, loc));
            ops.add(new Op.Constant(start, (long) probe.offset, loc));
            ops.add(new Op.Binary(at, Op.Binary.Fn.ADD, base, start, loc));
            Value atTile = fresh.apply(Type.of(DType.I32, n)), offsets = fresh.apply(Type.of(DType.I32, n));
            ops.add(new Op.Splat(atTile, at, loc));
            ops.add(new Op.Binary(offsets, Op.Binary.Fn.ADD, atTile, lanes, loc));
            Value pointers = fresh.apply(new Type(new PointerType(DType.I64), flat)), target = fresh.apply(new Type(new PointerType(DType.I64), flat));
            ops.add(new Op.Splat(pointers, debug, loc));
            ops.add(new Op.PtrAdd(target, pointers, offsets, loc));
            ops.add(new Op.Store(target, line, null, dev.tessera.ir.MemoryOrder.Cache.NONE, dev.tessera.ir.MemoryOrder.Eviction.NORMAL, loc));
        }
        List<KernelIR.Param> params = new ArrayList<>(kernel.params());
        params.add(new KernelIR.Param("debug", debug, 1));
        List<Value> args = new ArrayList<>(kernel.body().args());
        args.add(debug);
        return Verifier.verify(new KernelIR(kernel.name(), params, new Region(args, ops), kernel.constants()));
    }

    private static void verify(Value value, long[] values, AxisInfo.Facts facts, KernelIR kernel) {
        Shape shape = value.type().isScalar() ? Shape.of(1) : value.type().shape();
        long step = value.type().isPointer() ? value.type().pointee().byteSize() : 1;
        int[] strides = shape.strides();
        for (int d = 0; d < shape.rank(); d++) {
            int size = shape.dim(d), c = facts.contiguity()[d], v = facts.divisibility()[d], k = facts.constancy()[d];
            for (int first = 0; first < values.length; first++) {
                if ((first / strides[d]) % size != 0) continue; // the first element of a line along d
                for (int i = 0; i < size; i++) {
                    long x = values[first + i * strides[d]];
                    int runStart = i - i % c, constStart = i - i % k;
                    long start = values[first + runStart * strides[d]];
                    String where = "%" + value.id() + " (" + facts + ") dim " + d + " element " + i + " of line at " + first;
                    if (x != start + (i - runStart) * step) fail(where + ": " + x + " does not continue the run from " + start + "\n" + Printer.print(kernel, false));
                    if (i == runStart && Math.floorMod(x, (long) v) != 0) fail(where + ": run start " + x + " is not divisible by " + v + "\n" + Printer.print(kernel, false));
                    if (x != values[first + constStart * strides[d]]) fail(where + ": " + x + " differs from its constant run\n" + Printer.print(kernel, false));
                }
            }
        }
    }
}
