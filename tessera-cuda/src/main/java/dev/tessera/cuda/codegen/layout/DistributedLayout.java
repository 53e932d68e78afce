package dev.tessera.cuda.codegen.layout;

import dev.tessera.ir.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * Where each element of a tile lives in a program's registers: the {@link LinearLayout} from the
 * input dimensions (register, lane, warp) to the tile's row-major flat index, kept in the compact
 * form that code generation indexes in its inner loops. Each input bit has a basis, the flat index
 * its set bits contribute; the element is the XOR of the bases of the set bits. Tile dimensions are
 * powers of two, and every distributed layout Tessera makes (blocked, slice, and the tensor cores'
 * mma and operand layouts) has bases that are single bits of the flat index or zero, so the
 * element is also the OR of its bases; a zero lane or warp basis means those threads hold copies of
 * the same elements (replication). Layouts that need XOR bases (swizzled shared memory) are
 * general {@link LinearLayout}s; {@link #toLinear()} gives this one in that form.
 *
 * <p>Working on this form rather than on each layout kind makes the shape ops free relabelings:
 * reshape and expand_dims keep the flat index, permute moves bits, join/split/cat add or remove
 * one register bit. This is the representation Triton moved to ("linear layouts").
 */
public final class DistributedLayout {
    public static final int LANES = 32;
    private static final int LANE_BITS = 5;

    private final Shape shape;
    private final int[] reg, lane, warp;

    public DistributedLayout(Shape shape, int[] reg, int[] lane, int[] warp) {
        if (lane.length != LANE_BITS) throw new IllegalArgumentException("a warp has 32 lanes: " + lane.length + " lane bases");
        this.shape = shape;
        this.reg = reg.clone();
        this.lane = lane.clone();
        this.warp = warp.clone();
        int flatBits = Integer.numberOfTrailingZeros(shape.numel());
        for (int[] bases : List.of(this.reg, this.lane, this.warp)) {
            for (int b : bases) {
                if (b != 0 && (Integer.bitCount(b) != 1 || b >= 1 << flatBits)) {
                    throw new IllegalArgumentException("basis " + b + " is not one bit of the flat index of " + shape);
                }
            }
        }
        for (int b : this.reg) if (b == 0) throw new IllegalArgumentException("zero register basis in " + this);
        int seen = 0;
        for (int[] bases : List.of(this.reg, this.lane, this.warp)) {
            for (int b : bases) {
                if ((seen & b) != 0) throw new IllegalArgumentException("two bases share flat bit " + b + ": " + this);
                seen |= b;
            }
        }
    }

    /** The layout of a scalar: one register, the same value in every thread. */
    public static DistributedLayout scalar(int numWarps) {
        return new DistributedLayout(Shape.SCALAR, new int[0], new int[LANE_BITS], new int[log2(numWarps)]);
    }

    public Shape shape() { return shape; }

    public int numRegs() { return 1 << reg.length; }

    public int numWarps() { return 1 << warp.length; }

    public int regBasis(int i) { return reg[i]; }

    public int regBits() { return reg.length; }

    public int laneBasis(int i) { return lane[i]; }

    public int warpBasis(int i) { return warp[i]; }

    public int warpBits() { return warp.length; }

    public boolean isScalarLayout() { return shape.isScalar(); }

    /** The flat-index part contributed by register index {@code r}. */
    public int regPart(int r) {
        int e = 0;
        for (int i = 0; i < reg.length; i++) if ((r >> i & 1) != 0) e ^= reg[i];
        return e;
    }

    public int lanePart(int l) {
        int e = 0;
        for (int i = 0; i < LANE_BITS; i++) if ((l >> i & 1) != 0) e ^= lane[i];
        return e;
    }

    public int warpPart(int w) {
        int e = 0;
        for (int i = 0; i < warp.length; i++) if ((w >> i & 1) != 0) e ^= warp[i];
        return e;
    }

    public int element(int r, int l, int w) { return regPart(r) ^ lanePart(l) ^ warpPart(w); }

    /** Lane bits whose basis is zero: lanes differing only there hold the same elements. */
    public int replicatedLaneMask() {
        int m = 0;
        for (int i = 0; i < LANE_BITS; i++) if (lane[i] == 0) m |= 1 << i;
        return m;
    }

    public int replicatedWarpMask() {
        int m = 0;
        for (int i = 0; i < warp.length; i++) if (warp[i] == 0) m |= 1 << i;
        return m;
    }

    public boolean isReplicated() { return replicatedLaneMask() != 0 || replicatedWarpMask() != 0; }

    /** The bits of the flat index that the lane and warp bases cover (the thread's part). */
    public int threadMask() {
        int m = 0;
        for (int b : lane) m |= b;
        for (int b : warp) m |= b;
        return m;
    }

    // ------------------------------------------------------------------ coordinates

    public static int log2(int n) {
        if (n <= 0 || Integer.bitCount(n) != 1) throw new IllegalArgumentException(n + " is not a power of 2");
        return Integer.numberOfTrailingZeros(n);
    }

    /** The bit position of dimension {@code d}'s lowest bit in the flat index of {@code s}. */
    public static int dimShift(Shape s, int d) {
        int shift = 0;
        for (int i = d + 1; i < s.rank(); i++) shift += log2(s.dim(i));
        return shift;
    }

    /** The coordinate along {@code d} of flat index {@code flat} in {@code s}. */
    public static int coordinate(Shape s, int d, int flat) {
        return (flat >>> dimShift(s, d)) & (s.dim(d) - 1);
    }

    // ------------------------------------------------------------------ relabelings (free in registers)

    /** The same registers under another shape of equal size: reshape and expand_dims keep the flat index. */
    public DistributedLayout withShape(Shape s) {
        if (s.numel() != shape.numel()) throw new IllegalArgumentException(shape + " -> " + s);
        return new DistributedLayout(s, reg, lane, warp);
    }

    /** Result dimension i is this layout's dimension order[i]. */
    public DistributedLayout permuted(List<Integer> order) {
        int[] dims = new int[shape.rank()];
        for (int i = 0; i < dims.length; i++) dims[i] = shape.dim(order.get(i));
        Shape out = Shape.of(dims);
        int[] newPos = new int[Integer.numberOfTrailingZeros(shape.numel()) + 1];
        for (int i = 0; i < dims.length; i++) {
            int src = order.get(i);
            int from = dimShift(shape, src), to = dimShift(out, i);
            for (int b = 0; b < log2(shape.dim(src)); b++) newPos[from + b] = to + b;
        }
        return new DistributedLayout(out, mapBits(reg, newPos), mapBits(lane, newPos), mapBits(warp, newPos));
    }

    private static int[] mapBits(int[] bases, int[] newPos) {
        int[] out = new int[bases.length];
        for (int i = 0; i < bases.length; i++) out[i] = bases[i] == 0 ? 0 : 1 << newPos[Integer.numberOfTrailingZeros(bases[i])];
        return out;
    }

    /** Removes dimension {@code dim}: the layout of a reduction's result. Registers along it merge. */
    public DistributedLayout sliced(int dim) {
        int shift = dimShift(shape, dim), bits = log2(shape.dim(dim));
        int low = (1 << shift) - 1;
        java.util.function.IntUnaryOperator drop = b -> {
            if (b == 0 || (b >>> shift & ((1 << bits) - 1)) != 0) return 0;
            return (b & low) | ((b >>> (shift + bits)) << shift);
        };
        int[] r = Arrays.stream(reg).map(drop).filter(b -> b != 0).toArray();
        return new DistributedLayout(shape.without(dim), r, Arrays.stream(lane).map(drop).toArray(),
                Arrays.stream(warp).map(drop).toArray());
    }

    /** For register {@code r} of this layout, its register in {@link #sliced(int)}. */
    public int slicedRegister(int dim, int r) {
        int shift = dimShift(shape, dim), bits = log2(shape.dim(dim));
        int out = 0, j = 0;
        for (int i = 0; i < reg.length; i++) {
            boolean along = (reg[i] >>> shift & ((1 << bits) - 1)) != 0;
            if (along) continue;
            if ((r >> i & 1) != 0) out |= 1 << j;
            j++;
        }
        return out;
    }

    /**
     * The layout a broadcast's source must have for each thread to find the elements it broadcasts
     * in its own registers: this layout with the bits of the broadcast dimensions dropped.
     */
    public DistributedLayout projected(Shape source) {
        int rank = shape.rank();
        int keep = 0;
        for (int d = 0; d < rank; d++) {
            if (source.dim(d) == shape.dim(d)) keep |= ((shape.dim(d) - 1) << dimShift(shape, d));
        }
        final int keepMask = keep;
        java.util.function.IntUnaryOperator project = b -> (b & keepMask) == 0 ? 0 : compress(b, keepMask);
        int[] r = Arrays.stream(reg).map(project).filter(b -> b != 0).toArray();
        return new DistributedLayout(source, r, Arrays.stream(lane).map(project).toArray(), Arrays.stream(warp).map(project).toArray());
    }

    /** The source register of {@link #projected(Shape)} holding the element of this layout's register {@code r}. */
    public int projectedRegister(Shape source, int r) {
        int keep = 0;
        for (int d = 0; d < shape.rank(); d++) {
            if (source.dim(d) == shape.dim(d)) keep |= ((shape.dim(d) - 1) << dimShift(shape, d));
        }
        int out = 0, j = 0;
        for (int i = 0; i < reg.length; i++) {
            if ((reg[i] & keep) == 0) continue;
            if ((r >> i & 1) != 0) out |= 1 << j;
            j++;
        }
        return out;
    }

    /** The bits of {@code b} under {@code mask}, packed down to the low end. */
    static int compress(int b, int mask) {
        int out = 0, j = 0;
        for (int i = 0; i < 32; i++) {
            if ((mask >>> i & 1) == 0) continue;
            if ((b >>> i & 1) != 0) out |= 1 << j;
            j++;
        }
        return out;
    }

    /** Join's result: a new last dimension of 2 held in a new lowest register bit. */
    public DistributedLayout joined() {
        int[] r = new int[reg.length + 1];
        r[0] = 1;
        for (int i = 0; i < reg.length; i++) r[i + 1] = reg[i] << 1;
        return new DistributedLayout(shape.inserting(shape.rank(), 2), r, shift(lane, 1), shift(warp, 1));
    }

    /** The register bit holding the last dimension when it has size 2, or -1 if lanes or warps hold it. */
    public int lastBitRegister() {
        for (int i = 0; i < reg.length; i++) if (reg[i] == 1) return i;
        return -1;
    }

    /** Split's results: the last dimension (size 2, held in register bit {@link #lastBitRegister()}) removed. */
    public DistributedLayout splitHalf() {
        int q = lastBitRegister();
        if (q < 0) throw new IllegalStateException("split needs the last dimension in registers: " + this);
        int[] r = new int[reg.length - 1];
        for (int i = 0, j = 0; i < reg.length; i++) if (i != q) r[j++] = reg[i] >>> 1;
        return new DistributedLayout(shape.without(shape.rank() - 1), r, shift(lane, -1), shift(warp, -1));
    }

    /** Cat's result: dimension 0 doubled, the new top bit held in a new highest register bit. */
    public DistributedLayout catted() {
        int[] r = Arrays.copyOf(reg, reg.length + 1);
        r[reg.length] = shape.numel();
        return new DistributedLayout(shape.withDim(0, shape.dim(0) * 2), r, lane, warp);
    }

    private static int[] shift(int[] bases, int by) {
        return Arrays.stream(bases).map(b -> b == 0 ? 0 : by > 0 ? b << by : b >>> -by).toArray();
    }

    // ------------------------------------------------------------------ conversions

    /**
     * Whether every thread already holds, in its registers, each element {@code target} gives it:
     * then a conversion only renames registers.
     */
    public boolean convertsLocallyTo(DistributedLayout target) {
        if (!target.shape.equals(shape) || !Arrays.equals(lane, target.lane) || !Arrays.equals(warp, target.warp)) return false;
        int span = 0;
        for (int b : reg) span |= b;
        for (int b : target.reg) if ((b & span) != b) return false;
        return true;
    }

    /** The register of this layout holding the element that {@code target}'s register {@code r} holds (see {@link #convertsLocallyTo}). */
    public int localSource(DistributedLayout target, int r) {
        int want = target.regPart(r);
        int out = 0;
        for (int i = 0; i < reg.length; i++) if ((want & reg[i]) != 0) out |= 1 << i;
        return out;
    }

    // ------------------------------------------------------------------ the general form

    /**
     * This layout as a {@link LinearLayout}: inputs register, lane (32) and warp, outputs the tile
     * coordinates dim0 .. dim{rank-1} with the shape's sizes (none for a scalar). Each basis is the
     * coordinates of its flat-index bit.
     */
    public LinearLayout toLinear() {
        LinearLayout.Builder b = LinearLayout.builder()
                .in(LinearLayout.REGISTER, coordinates(reg))
                .in(LinearLayout.LANE, coordinates(lane))
                .in(LinearLayout.WARP, coordinates(warp));
        for (int d = 0; d < shape.rank(); d++) b.out(LinearLayout.dim(d), shape.dim(d));
        return b.build();
    }

    private int[][] coordinates(int[] flatBases) {
        int[][] out = new int[flatBases.length][shape.rank()];
        for (int i = 0; i < flatBases.length; i++) for (int d = 0; d < shape.rank(); d++) out[i][d] = coordinate(shape, d, flatBases[i]);
        return out;
    }

    /**
     * The distributed layout of a {@link LinearLayout} from register, lane (size 32) and warp (in
     * any order) to the tile dimensions dim0 .. dim{n-1} in that order, whose bases are each one
     * bit of the tile's flat index or zero, with no zero register basis and no bit used twice (the
     * compact form's invariants). Anything else, an XOR-swizzled layout for one, is an
     * {@link IllegalArgumentException} saying what does not fit.
     */
    public static DistributedLayout fromLinear(LinearLayout l) {
        List<String> ins = List.of(LinearLayout.REGISTER, LinearLayout.LANE, LinearLayout.WARP);
        if (l.inDimNames().size() != 3 || !l.inDimNames().containsAll(ins)) {
            throw new IllegalArgumentException("a distributed layout's inputs are register, lane and warp, not " + l.inDimNames() + ": " + l);
        }
        if (l.inDimSize(LinearLayout.LANE) != LANES) throw new IllegalArgumentException("a warp has 32 lanes, not " + l.inDimSize(LinearLayout.LANE) + ": " + l);
        int rank = l.outDimNames().size();
        int[] dims = new int[rank];
        for (int d = 0; d < rank; d++) {
            if (!l.outDimNames().get(d).equals(LinearLayout.dim(d))) {
                throw new IllegalArgumentException("a distributed layout's outputs are the tile dimensions dim0, dim1, ... in order, not " + l.outDimNames() + ": " + l);
            }
            dims[d] = l.outDimSize(LinearLayout.dim(d));
        }
        Shape s = Shape.of(dims);
        int[][] flat = new int[3][];
        for (int k = 0; k < 3; k++) {
            int[][] bases = l.bases(ins.get(k));
            flat[k] = new int[bases.length];
            for (int i = 0; i < bases.length; i++) {
                int f = 0;
                for (int d = 0; d < rank; d++) f |= bases[i][d] << dimShift(s, d);
                if (Integer.bitCount(f) > 1) {
                    throw new IllegalArgumentException(ins.get(k) + " bit " + i + " maps to " + Arrays.toString(bases[i])
                            + ", not one bit of the tile's flat index (a general linear layout, not a distributed one): " + l);
                }
                if (f == 0 && k == 0) throw new IllegalArgumentException("register bit " + i + " maps to zero: a thread holds no copies in its registers: " + l);
                flat[k][i] = f;
            }
        }
        return new DistributedLayout(s, flat[0], flat[1], flat[2]);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DistributedLayout l && shape.equals(l.shape) && Arrays.equals(reg, l.reg)
                && Arrays.equals(lane, l.lane) && Arrays.equals(warp, l.warp);
    }

    @Override
    public int hashCode() {
        return shape.hashCode() * 31 * 31 * 31 + Arrays.hashCode(reg) * 31 * 31 + Arrays.hashCode(lane) * 31 + Arrays.hashCode(warp);
    }

    /** "linear f32[64, 64]{reg=[1, 2], lane=[4, 8, ...], warp=[...]}" (bases as flat-index bits). */
    @Override
    public String toString() {
        return "linear" + shape + "{reg=" + Arrays.toString(reg) + ", lane=" + Arrays.toString(lane) + ", warp=" + Arrays.toString(warp) + "}";
    }
}
