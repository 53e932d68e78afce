package dev.tessera.cuda.ops;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.MemoryOrder;
import dev.tessera.ir.Op;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.semantic.Semantic;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import dev.tessera.lang.Precision;
import dev.tessera.lang.AtomicOp;

/** Kernels that exercise each op kind, for differential tests against the CPU backend. */
final class OpKernels {
    private OpKernels() {}

    private static Tile offs(int block) { return programId(0).mul(block).add(arange(0, block)); }

    @Kernel
    static void binary(Tile x, Tile y, Tile out, Tile n, @Constexpr Op.Binary.Fn FN, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK), m = o.lt(n);
        Tile r = Tile.wrap(Semantic.binary(FN, load(x.add(o), m).value(), load(y.add(o), m).value()));
        store(out.add(o), r.to(out.elementType()), m);
    }

    @Kernel
    static void compare(Tile x, Tile y, Tile out, Tile n, @Constexpr Op.Compare.Fn FN, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK), m = o.lt(n);
        Tile r = Tile.wrap(Semantic.compare(FN, load(x.add(o), m).value(), load(y.add(o), m).value()));
        store(out.add(o), r.to(out.elementType()), m);
    }

    @Kernel
    static void unary(Tile x, Tile out, Tile n, @Constexpr Op.Unary.Fn FN, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK), m = o.lt(n);
        store(out.add(o), Tile.wrap(Semantic.unary(FN, load(x.add(o), m).value())).to(out.elementType()), m);
    }

    @Kernel
    static void convert(Tile x, Tile out, Tile n, @Constexpr boolean TOWARD_ZERO, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK), m = o.lt(n);
        Tile v = load(x.add(o), m);
        store(out.add(o), TOWARD_ZERO ? v.to(out.elementType(), Numerics.Rounding.TOWARD_ZERO) : v.to(out.elementType()), m);
    }

    @Kernel
    static void bitcast(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK), m = o.lt(n);
        store(out.add(o), load(x.add(o), m).bitcast(out.elementType()), m);
    }

    @Kernel
    static void selectFma(Tile c, Tile x, Tile y, Tile out, Tile fused, Tile n, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK), m = o.lt(n);
        Tile a = load(x.add(o), m), b = load(y.add(o), m);
        store(out.add(o), where(load(c.add(o), m), a, b), m);
        store(fused.add(o), fma(a, b, a), m);
    }

    /** Masked load with an `other` value, to a non-multiple-of-16 length (scalar accesses). */
    @Kernel
    static void maskedOther(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile o = arange(0, BLOCK);
        store(out.add(o), load(x.add(o), o.lt(n), -3.5), o.lt(n.add(5)));
    }

    /** A [R, C] tile read column-major (strided) and written transposed. */
    @Kernel
    static void transpose(Tile x, Tile out, @Constexpr int R, @Constexpr int C) {
        Tile r = arange(0, R), c = arange(0, C);
        Tile t = load(x.add(r.col().mul(C)).add(c.row()));
        store(out.add(c.col().mul(R)).add(r.row()), t.trans());
    }

    @Kernel
    static void reduce(Tile x, Tile out, @Constexpr Op.Reduce.Kind KIND, @Constexpr int AXIS, @Constexpr int R, @Constexpr int C) {
        Tile r = arange(0, R), c = arange(0, C);
        Tile t = load(x.add(r.col().mul(C)).add(c.row()));
        Tile v = switch (KIND) {
            case SUM -> sum(t, AXIS);
            case MAX -> max(t, AXIS);
            case MIN -> min(t, AXIS);
            case PROD -> prod(t, AXIS);
            case ARGMAX -> argmax(t, AXIS);
            case ARGMIN -> argmin(t, AXIS);
            case XOR -> xorSum(t, AXIS);
            // associative and commutative, as a tree reduction needs: max for floats, (1+a)(1+b)-1 for integers
            case CUSTOM -> dev.tessera.lang.TL.reduce(t, AXIS, (a, b) -> a.dtype().isFloat() ? maximum(a, b) : a.add(b).add(a.mul(b)));
            default -> throw new IllegalArgumentException(KIND.toString());
        };
        int n = AXIS == 0 ? C : R;
        store(out.add(arange(0, n)), v.to(out.elementType()));
    }

    @Kernel
    static void reduceAll(Tile x, Tile out, @Constexpr int N) {
        store(out, sum(load(x.add(arange(0, N)))));
        store(out.add(1), max(load(x.add(arange(0, N)))));
    }

    @Kernel
    static void scan(Tile x, Tile out, @Constexpr Op.Reduce.Kind KIND, @Constexpr int AXIS, @Constexpr boolean REVERSE, @Constexpr int R, @Constexpr int C) {
        Tile r = arange(0, R), c = arange(0, C);
        Tile p = r.col().mul(C).add(c.row());
        Tile t = load(x.add(p));
        Tile v = switch (KIND) {
            case SUM -> cumsum(t, AXIS, REVERSE);
            case PROD -> cumprod(t, AXIS);
            case MAX -> cummax(t, AXIS);
            // associative but not commutative: every output is the first element in scan order
            case CUSTOM -> associativeScan(t, AXIS, (a, b) -> a, REVERSE);
            default -> throw new IllegalArgumentException(KIND.toString());
        };
        store(out.add(p), v.to(out.elementType()));
    }

    @Kernel
    static void sort(Tile x, Tile out, @Constexpr boolean DESCENDING, @Constexpr int R, @Constexpr int C) {
        Tile p = arange(0, R).col().mul(C).add(arange(0, C).row());
        store(out.add(p), dev.tessera.lang.TL.sort(load(x.add(p)), DESCENDING));
    }

    @Kernel
    static void shapes(Tile x, Tile y, Tile joined, Tile split, Tile catted, Tile reshaped, Tile permuted, @Constexpr int R, @Constexpr int C) {
        Tile p = arange(0, R).col().mul(C).add(arange(0, C).row());
        Tile a = load(x.add(p)), b = load(y.add(p));
        Tile j = join(a, b);
        Tile pj = p.expandDims(2).mul(2).add(arange(0, 2).reshape(1, 1, 2));
        store(joined.add(pj), j);
        Tile[] s = dev.tessera.lang.TL.split(j.add(1));
        store(split.add(p), s[0].mul(s[1]));
        Tile pc = arange(0, 2 * R).col().mul(C).add(arange(0, C).row());
        store(catted.add(pc), cat(a, b));
        store(reshaped.add(arange(0, R * C)), a.reshape(R * C));
        Tile pt = arange(0, C).col().mul(R).add(arange(0, R).row());
        store(permuted.add(pt), a.permute(1, 0).sub(b.trans()));
    }

    @Kernel
    static void broadcasts(Tile x, Tile out, @Constexpr int R, @Constexpr int C) {
        Tile col = load(x.add(arange(0, R))).col(), row = load(x.add(arange(0, C))).row();
        Tile p = arange(0, R).col().mul(C).add(arange(0, C).row());
        store(out.add(p), col.mul(10).add(row).add(broadcastTo(load(x), R, C)));
    }

    @Kernel
    static void dot(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K, @Constexpr Precision PRECISION, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile rm = programId(0).mul(BM).add(arange(0, BM)), rn = programId(1).mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        DType accType = a.elementType() == DType.F64 ? DType.F64 : a.elementType().isInteger() ? DType.I32 : DType.F32;
        Var acc = var(zeros(accType, BM, BN));
        for (Tile k : range(0, K, BK)) {
            Tile ka = k.add(rk);
            Tile at = load(a.add(rm.col().mul(K)).add(ka.row()), rm.col().lt(M).and(ka.row().lt(K)), 0);
            Tile bt = load(b.add(ka.col().mul(N)).add(rn.row()), ka.col().lt(K).and(rn.row().lt(N)), 0);
            acc.set(accType == DType.F32 && a.elementType() == DType.F32 ? dev.tessera.lang.TL.dot(at, bt, acc.get(), PRECISION)
                    : dev.tessera.lang.TL.dot(at, bt, acc.get()));
        }
        store(c.add(rm.col().mul(N)).add(rn.row()), acc.get().to(c.elementType()), rm.col().lt(M).and(rn.row().lt(N)));
    }

    @Kernel
    static void atomics(Tile target, Tile values, Tile old, Tile n, @Constexpr AtomicOp FN, @Constexpr int BUCKETS, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK), m = o.lt(n);
        Tile v = load(values.add(o), m);
        Tile r = atomic(FN, target.add(o.rem(BUCKETS)), v, m, MemoryOrder.Semantic.ACQ_REL, MemoryOrder.Scope.GPU);
        // old values depend on the order of the threads unless every lane has its own bucket
        if (BUCKETS >= BLOCK) store(old.add(o), r, m);
    }

    @Kernel
    static void atomicCounter(Tile counter, Tile tickets, @Constexpr int BLOCK) {
        Tile got = atomicAdd(counter, 1L);
        store(tickets.add(programId(0)), got);
        Tile o = arange(0, BLOCK);
        atomic(AtomicOp.ADD, counter.add(1).add(o.mul(0)), full(DType.I64, 1L, BLOCK), null, MemoryOrder.Semantic.RELAXED, MemoryOrder.Scope.CTA);
    }

    @Kernel
    static void cas(Tile lock, Tile out, @Constexpr int BLOCK) {
        Tile o = arange(0, BLOCK);
        Tile prev = atomicCas(lock.add(o), full(DType.I32, 0L, BLOCK), o.add(1));
        store(out.add(o), prev);
    }

    @Kernel
    static void loops(Tile x, Tile out, Tile n, Tile steps, @Constexpr int BLOCK) {
        Tile o = arange(0, BLOCK);
        Var acc = var(zeros(DType.F32, BLOCK));
        Var count = var(0);
        for (Tile i : range(0, n, BLOCK)) {
            Tile m = i.add(o).lt(n);
            acc.set(acc.get().add(load(x.add(i).add(o), m, 0.0)));
            count.set(count.get().add(1));
        }
        store(out.add(o), acc.get().add(count.get().to(DType.F32)));
        Var k = var(steps);
        Var total = var(0);
        whileLoop(() -> k.get().gt(0), () -> {
            total.set(total.get().add(k.get()));
            k.set(k.get().sub(1));
        });
        Var big = var(0);
        when(total.get().gt(10), () -> big.set(total.get().mul(2)), () -> big.set(total.get().sub(100)));
        store(out.add(BLOCK), big.get().to(DType.F32));
    }

    @Kernel
    static void programs(Tile out) {
        Tile id = programId(0).add(programId(1).mul(100)).add(programId(2).mul(10000));
        Tile flat = programId(0).add(programId(1).mul(numPrograms(0))).add(programId(2).mul(numPrograms(0)).mul(numPrograms(1)));
        store(out.add(flat), id.add(numPrograms(0).mul(1000000)));
    }

    @Kernel
    static void bools(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK), m = o.lt(n);
        Tile b = load(x.add(o), m);
        store(out.add(o), b.xor(o.rem(3).eq(0)).or(b.and(o.lt(5))), m);
    }

    @Kernel
    static void asserts(Tile x, Tile n, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK);
        deviceAssert(load(x.add(o), o.lt(n), 0).lt(100), "values stay below 100");
    }

    @Kernel
    static void prints(Tile x) {
        devicePrint("x = ", load(x.add(arange(0, 4))));
    }

    /** Narrow-float bit patterns (as u8/u16) to their f32 values. */
    @Kernel
    static void decodeBits(Tile bits, Tile out, Tile n, @Constexpr DType T, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK), m = o.lt(n);
        store(out.add(o), load(bits.add(o), m).bitcast(T).to(DType.F32), m);
    }

    /** f32 values rounded to a narrow float, as bit patterns (u8/u16). */
    @Kernel
    static void encodeBits(Tile x, Tile out, Tile n, @Constexpr DType T, @Constexpr boolean TOWARD_ZERO, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK), m = o.lt(n);
        Tile v = load(x.add(o), m);
        Tile narrow = TOWARD_ZERO ? v.to(T, Numerics.Rounding.TOWARD_ZERO) : v.to(T);
        store(out.add(o), narrow.bitcast(out.elementType()), m);
    }

    /** f32 values stored to a narrow-float tensor: the store rounds. */
    @Kernel
    static void storeRounded(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK), m = o.lt(n);
        store(out.add(o), load(x.add(o), m).to(out.elementType()), m);
    }

    /** A narrow-float tensor's bit patterns (u8/u16). */
    @Kernel
    static void patterns(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile o = offs(BLOCK), m = o.lt(n);
        store(out.add(o), load(x.add(o), m).bitcast(out.elementType()), m);
    }
}
