package dev.tessera.testing;

import static dev.tessera.lang.TL.*;

import dev.tessera.ir.KernelIR;
import dev.tessera.lang.MemoryOrder;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.trace.ArgSpec;
import dev.tessera.trace.KernelMethod;
import dev.tessera.trace.Tracer;
import dev.tessera.types.DType;
import dev.tessera.types.ElementType;
import dev.tessera.types.Numerics.Rounding;
import dev.tessera.types.PointerType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import dev.tessera.lang.Precision;
import dev.tessera.lang.AtomicOp;

/** Traced kernels that together use every op of the IR, for parser and pass tests. */
public final class IrSamples {
    private IrSamples() {}

    @Kernel
    static void vectorAdd(Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask).add(load(y.add(offs), mask)), mask);
    }

    @Kernel
    static void shapes(Tile x, Tile out, @Constexpr int B) {
        Tile r = arange(0, B);
        Tile grid = r.col().mul(B).add(r.row());                       // expand_dims, broadcast
        Tile v = load(x.add(grid), grid.lt(B * B - 1), 1.5);
        Tile t = trans(v).reshape(B * B).reshape(B, B);                 // permute, reshape
        Tile[] halves = split(join(t, t.mul(2.0)));                      // join, split
        Tile both = cat(halves[0], halves[1]);                           // cat
        Tile s = full(F32, programId(1).to(F32), B, B);                  // splat of a scalar, num_programs below
        Tile folded = sum(both.reshape(2 * B, B).trans().reshape(B, 2 * B).reshape(2, B, B).permute(1, 2, 0), 2);
        store(out.add(grid), folded.add(s).add(numPrograms(0).to(F32)));
    }

    @Kernel
    static void arithmetic(Tile x, Tile out, Tile seed, @Constexpr int B) {
        Tile i = arange(0, B);
        Tile f = load(x.add(i));
        Tile a = abs(f).add(exp(f)).add(exp2(f)).add(log(abs(f).add(1.0))).add(log2(abs(f).add(1.0)))
                .add(sqrt(abs(f))).add(sqrtRn(abs(f))).add(rsqrt(abs(f).add(1.0))).add(sin(f)).add(cos(f))
                .add(tanh(f)).add(sigmoid(f)).add(erf(f)).add(floor(f)).add(ceil(f)).add(f.neg());
        Tile b = a.sub(f).mul(f).div(f.add(3.0)).rem(7.0).add(divRn(a, f.add(5.0))).add(pow(f, 2.0))
                .add(maximum(f, a)).add(minimum(f, a)).add(maximumNan(f, a)).add(minimumNan(f, a));
        Tile n = i.mul(3).sub(1).div(2).rem(5).and(7).or(8).xor(3).shl(2).shr(1).add(umulhi(i, 12345L))
                .add(popcount(i)).add(i.not()).add(maximum(i, 3L)).add(minimum(i, 9L));
        Tile m = i.lt(3).and(i.le(9)).or(i.gt(1).xor(i.ge(4))).and(i.eq(2).or(i.ne(5)));
        Tile c = where(m, fma(f, b, a), n.to(F32));
        Tile h = c.to(BF16, Rounding.TOWARD_ZERO).to(F16).to(F32).bitcast(I32).bitcast(F32);
        Tile u = i.to(U32).to(I64).to(F64).to(F32).add(randint(seed, i).to(F32));
        store(out.add(i), h.add(u));
    }

    @Kernel
    static void memory(Tile x, Tile counts, Tile flags, Tile out, Tile n, @Constexpr int B) {
        Tile i = arange(0, B);
        Tile mask = i.lt(n);
        prefetch(x.add(i).add(B), i.add(B).lt(n));
        Tile v = load(x.add(i), mask, (Object) 0.25, MemoryOrder.Cache.CG, MemoryOrder.Eviction.LAST);
        Tile w = loadVolatile(flags.add(i), mask);
        store(out.add(i), v.add(w.to(F32)), mask, MemoryOrder.Cache.WB, MemoryOrder.Eviction.FIRST);
        Tile old = atomicAdd(counts.add(i), i, mask);
        atomic(AtomicOp.XCHG, counts.add(i), old, null, MemoryOrder.Semantic.RELAXED, MemoryOrder.Scope.CTA);
        atomicMax(counts, scalar(3));
        atomicCas(counts.add(i), i, old.add(1), MemoryOrder.Semantic.ACQUIRE, MemoryOrder.Scope.SYS);
    }

    @Kernel
    static void reductions(Tile x, Tile out, @Constexpr int B) {
        Tile r = arange(0, B);
        Tile t = load(x.add(r.col().mul(B).add(r.row())));
        Tile s = sum(t, 1).add(max(t, 0)).add(min(t, 1)).add(prod(t, 0)).add(argmax(t, 1).to(F32)).add(argmin(t, 0).to(F32))
                .add(reduce(t, 1, (a, b) -> maximum(a, b).mul(0.5)));
        Tile sc = cumsum(t, 1).add(cumsum(t, 0, true)).add(cumprod(t, 1)).add(cummax(t, 0))
                .add(associativeScan(t, 1, (a, b) -> a.add(b).mul(2.0))).add(sort(t)).add(sort(t, true))
                .add(associativeScan(List.of(t, t.to(I32)), 0, (a, b) -> List.of(a.get(0).add(b.get(0)), maximum(a.get(1), b.get(1))), true).get(1).to(F32));
        s = s.add(reduce(List.of(t, r.col().add(r.row())), 1, (a, b) -> List.of(maximum(a.get(0), b.get(0)), a.get(1).add(b.get(1)))).get(0));
        Tile d = dot(t, t, sc, Precision.IEEE).add(dot(t.to(F16), t.to(F16)));
        store(out.add(r), s.add(sum(d, 0)).add(xorSum(r.col().add(r.row()), 1).to(F32)).add(histogram(r.col().add(r.row()), B).to(F32)));
    }

    @Kernel
    static void control(Tile x, Tile out, Tile n, @Constexpr int B) {
        Tile i = arange(0, B);
        Var acc = var(zeros(F32, B));
        Var ptr = var(x.add(i));
        for (Tile k : range(0, n, B)) {
            Var inner = var(zeros(F32, B));
            for (Tile j : range(k, k.add(2))) inner.set(inner.get().add(j.to(F32)));
            acc.set(acc.get().add(load(ptr.get(), i.add(k).lt(n), 0.0)).add(inner.get()));
            ptr.set(ptr.get().add(B));
        }
        Var count = var(0);
        whileLoop(() -> count.get().lt(n), () -> count.set(count.get().add(3)));
        when(count.get().gt(10), () -> acc.set(acc.get().mul(2.0)), () -> acc.set(acc.get().sub(1.0)));
        when(n.eq(0), () -> deviceAssert(n.eq(0), "n is \"zero\"\nand a // comment"));
        for (Tile ignored : range(0, scalar(4))) debugBarrier();
        store(out.add(i), acc.get());
    }

    @Kernel
    static void debugging(Tile x, Tile out, Tile n, @Constexpr int B) {
        Tile i = maxContiguous(multipleOf(arange(0, B), 4), B);
        Tile p = maxConstancy(x.add(i), 2);
        assume(n.gt(0));
        devicePrint("value = ", load(p), n);
        deviceAssert(n.ge(1), "n must be positive");
        debugBarrier();
        store(out.add(i), load(p));
    }

    @Kernel
    static void descriptors(TensorDesc in, TensorDesc out, @Constexpr int B) {
        Tile m = programId(0).mul(B), n = programId(1).mul(B);
        for (Tile k : range(0, scalar(2))) store(out, at(m, n.add(k.mul(B))), load(in, m, k.mul(B)).mul(2));
        atomicAdd(out, at(m, n), load(in, MemoryOrder.Eviction.LAST, m, n));
    }

    /** A descriptor of {@code t} in blocks of {@code block}, as the launch specializes one. */
    public static ArgSpec descriptor(DType t, Integer... block) {
        return new ArgSpec(new dev.tessera.types.DescriptorType(t, List.of(block)), 16, false);
    }

    public static final ArgSpec F32_PTR = new ArgSpec(new PointerType(DType.F32), 16, false);
    public static final ArgSpec I32_PTR = new ArgSpec(new PointerType(DType.I32), 16, false);
    public static final ArgSpec I32_ARG = new ArgSpec(DType.I32, 1, false);
    public static final ArgSpec I32_DIV16 = new ArgSpec(DType.I32, 16, false);

    /** Traces {@code IrSamples.name} (or a kernel of another class) for these arguments and constexprs. */
    public static KernelIR trace(Class<?> owner, String name, List<ArgSpec> args, Map<String, Object> constexprs) {
        return Tracer.trace(KernelMethod.of(owner, name), args, constexprs);
    }

    public static ArgSpec pointer(DType t) { return new ArgSpec(new PointerType(t), 16, false); }

    public static ArgSpec scalarArg(ElementType t) { return new ArgSpec(t, 1, false); }

    /** Every sample kernel, traced. */
    public static List<KernelIR> all() {
        List<KernelIR> out = new ArrayList<>();
        out.add(trace(IrSamples.class, "vectorAdd", List.of(F32_PTR, F32_PTR, F32_PTR, I32_DIV16), Map.of("BLOCK", 128)));
        out.add(trace(IrSamples.class, "shapes", List.of(F32_PTR, F32_PTR), Map.of("B", 8)));
        out.add(trace(IrSamples.class, "arithmetic", List.of(F32_PTR, F32_PTR, scalarArg(DType.I64)), Map.of("B", 16)));
        out.add(trace(IrSamples.class, "memory", List.of(F32_PTR, I32_PTR, pointer(DType.I8), F32_PTR, I32_ARG), Map.of("B", 32)));
        out.add(trace(IrSamples.class, "reductions", List.of(F32_PTR, F32_PTR), Map.of("B", 16)));
        out.add(trace(IrSamples.class, "control", List.of(F32_PTR, F32_PTR, I32_ARG), Map.of("B", 32)));
        out.add(trace(IrSamples.class, "debugging", Arrays.asList(F32_PTR, F32_PTR, I32_ARG), Map.of("B", 16)));
        out.add(trace(IrSamples.class, "descriptors", List.of(descriptor(DType.F16, 16, 32), descriptor(DType.F16, 16, 32)), Map.of("B", 16)));
        return out;
    }
}
