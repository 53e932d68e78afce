package dev.tessera.cuda.codegen.layout;

import dev.tessera.ir.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A tile in shared memory, Triton's swizzled shared encoding: where each element lives, as the
 * {@link LinearLayout} from {@link LinearLayout#OFFSET} (the element's index within the buffer) to
 * the tile dimensions dim0 .. dim{rank-1}.
 *
 * <p>The dimensions are stored in {@code order}, the contiguous one first ({@code order[0]}: a
 * "row" of the buffer runs along it) and {@code order[1]} the row index. Each row is cut into
 * chunks of {@code vec} consecutive elements, and a row's chunks are permuted: chunk {@code c} of
 * row {@code y} is stored at chunk {@code c ^ phase(y)}, with {@code phase(y) = (y / perPhase) %
 * maxPhase}. Rows sharing a 128-byte line of banks ({@code perPhase} of them) share a phase, and
 * the phases of the next rows send the same logical chunk to other banks, so threads reading one
 * chunk of consecutive rows (a column of the tile) meet different banks. Elements within a chunk
 * stay consecutive, so 16-byte vector accesses still work. With {@code maxPhase = 1} the layout is
 * the plain row-major (in {@code order}) one; the swizzle only acts on the two fastest dimensions.
 *
 * <p>For power-of-two sizes {@code phase} is linear in the row's bits, so the whole layout is
 * linear: a row bit inside the phase range has the basis (that row, {@code vec * 2^k} columns), an
 * XOR basis, which is what {@link DistributedLayout} cannot express and {@link LinearLayout} can.
 */
public record SharedLayout(Shape shape, int vec, int perPhase, int maxPhase, int[] order) {

    /** Bytes of a shared-memory bank line: 32 banks of 4 bytes, eight 16-byte groups. */
    public static final int BANK_LINE_BYTES = 128;
    /** Bytes of one vector access and of one row of an 8x8 ldmatrix matrix. */
    public static final int VECTOR_BYTES = 16;

    public SharedLayout {
        int rank = shape.rank();
        if (order.length != rank) throw new IllegalArgumentException("order " + Arrays.toString(order) + " for " + shape);
        boolean[] seen = new boolean[rank];
        for (int d : order) {
            if (d < 0 || d >= rank || seen[d]) throw new IllegalArgumentException("order " + Arrays.toString(order) + " is not a permutation of " + rank + " dimensions");
            seen[d] = true;
        }
        for (int v : new int[] {vec, perPhase, maxPhase}) {
            if (v <= 0 || Integer.bitCount(v) != 1) throw new IllegalArgumentException("vec, perPhase and maxPhase must be powers of 2: " + vec + ", " + perPhase + ", " + maxPhase);
        }
        for (int d = 0; d < rank; d++) DistributedLayout.log2(shape.dim(d));
        order = order.clone();
    }

    /** The row-major layout in {@code order} (contiguous dimension first), without swizzling. */
    public static SharedLayout unswizzled(Shape shape, int[] order) { return new SharedLayout(shape, 1, 1, 1, order); }

    /**
     * The swizzle for a tensor-core operand read with {@code ldmatrix}: 16-byte chunks
     * ({@code vec = 16 / elementBytes} elements, one row of an 8x8 matrix of 16-bit values),
     * {@code perPhase = max(1, 128 / rowBytes)} rows per phase (the rows that fit in one bank line
     * share a phase), and {@code maxPhase = min(8, rowBytes / 16)} phases (at least 1).
     *
     * <p>This is Triton's rule for mma operands ({@code SwizzledSharedEncodingAttr::get} for
     * Ampere-style mma: {@code perPhase = 128 / rowBytes} at least 1, {@code maxPhase = 8 /
     * perPhase}), written so that it stays right at both ends: for rows of at most 128 bytes
     * {@code 8 / perPhase = rowBytes / 16}, and for longer rows both give 8. The reasoning: eight
     * consecutive rows of one logical chunk must land in the eight 16-byte groups of a bank line.
     * The {@code perPhase} rows sharing a line already sit in different groups; the phase must
     * tell apart the {@code 8 / perPhase} lines the eight rows span, and it can never exceed the
     * chunks a row has ({@code rowBytes / 16}) or the XOR would leave the row. Rows shorter than a
     * chunk are not swizzled.
     */
    public static SharedLayout forTensorCoreOperand(Shape tile, int[] order, int elementBytes) {
        if (tile.rank() < 2) return unswizzled(tile, order);
        int rowElems = tile.dim(order[0]), rowBytes = rowElems * elementBytes;
        int vec = Math.max(1, Math.min(VECTOR_BYTES / elementBytes, rowElems));
        int perPhase = Math.max(1, BANK_LINE_BYTES / rowBytes);
        int maxPhase = Math.max(1, Math.min(8, rowBytes / VECTOR_BYTES));
        return new SharedLayout(tile, vec, perPhase, maxPhase, order);
    }

    /** The dimensions from the contiguous one on (a copy). */
    @Override
    public int[] order() { return order.clone(); }

    /** Whether some row's chunks are permuted (false when the phase never reaches a row of the tile). */
    public boolean isSwizzled() {
        if (shape.rank() < 2) return false;
        for (int row = 1; row < shape.dim(order[1]); row <<= 1) if (swizzleOfRow(row) != 0) return true;
        return false;
    }

    /** Offset (element index in the buffer) to tile coordinates: a bijection. */
    public LinearLayout linear() {
        int rank = shape.rank();
        List<int[]> bases = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            int d = order[i];
            for (int v = 1; v < shape.dim(d); v <<= 1) {
                int[] basis = new int[rank];
                basis[d] = v;
                if (i == 1) basis[order[0]] = swizzleOfRow(v);
                bases.add(basis);
            }
        }
        LinearLayout.Builder b = LinearLayout.builder().in(LinearLayout.OFFSET, bases.toArray(int[][]::new));
        for (int d = 0; d < rank; d++) b.out(LinearLayout.dim(d), shape.dim(d));
        return b.build();
    }

    /** The column XOR of row {@code row} (a power of two): {@code vec * phase}, dropped where it would leave the row (as Triton does). */
    private int swizzleOfRow(int row) {
        int columns = shape.dim(order[0]);
        int x = vec * ((row / perPhase) % maxPhase);
        return x < columns ? x : 0;
    }

    /** Tile coordinates to offset: the inverse of {@link #linear()}, inputs dim0 .. dim{rank-1}, output offset. */
    public LinearLayout inverse() { return linear().invert(); }

    /** The offset of the element at {@code coords} (one per dimension). */
    public int offset(int... coords) { return inverse().apply(coords)[0]; }

    /** The offset of the element at row-major flat index {@code flat} of the tile (as {@link DistributedLayout} numbers elements). */
    public int offsetOfFlat(int flat) {
        int[] coords = new int[shape.rank()];
        for (int d = 0; d < coords.length; d++) coords[d] = DistributedLayout.coordinate(shape, d, flat);
        return offset(coords);
    }

    /**
     * Where the threads of register layout {@code registers} find their elements in this buffer,
     * split as code generation uses it. The element of register {@code r} in thread (lane, warp)
     * has flat index {@code lanePart ^ warpPart ^ regPart(r)}: bits that depend on the thread XOR
     * bits fixed at compile time. Offsets are linear in the coordinates (the inverse is a linear
     * layout), so the offset splits the same way: {@code offset = threadOffset(lane, warp) ^
     * registerOffset(r)}. Code generation computes the thread part once, in a register, and
     * applies each register's constant per access; when the constants' bits and the bits the
     * thread part can take are disjoint ({@link Accesses#constantsAdd()}), XOR is addition and the
     * constant goes into the instruction's immediate offset ({@code [addr+imm]}) for free;
     * otherwise it costs one {@code xor} per access.
     */
    public Accesses accesses(DistributedLayout registers) {
        if (!registers.shape().equals(shape)) throw new IllegalArgumentException(registers + " for a buffer of " + shape);
        LinearLayout inverse = inverse(), linear = registers.toLinear();
        LinearLayout threads = linear.sublayout(List.of(LinearLayout.LANE, LinearLayout.WARP), linear.outDimNames()).compose(inverse);
        LinearLayout perRegister = linear.sublayout(List.of(LinearLayout.REGISTER), linear.outDimNames()).compose(inverse);
        int[] constants = new int[registers.numRegs()];
        for (int r = 0; r < constants.length; r++) constants[r] = perRegister.apply(r)[0];
        return new Accesses(threads, constants);
    }

    /**
     * A register layout's accesses to a shared buffer: {@code threadOffsets} maps (lane, warp) to
     * the offset part the thread contributes, {@code registerOffsets[r]} is register r's constant.
     */
    public record Accesses(LinearLayout threadOffsets, int[] registerOffsets) {
        public Accesses {
            registerOffsets = registerOffsets.clone();
        }

        /** The offset register {@code r} of thread (lane, warp) accesses. */
        public int offset(int r, int lane, int warp) { return threadOffsets.apply(lane, warp)[0] ^ registerOffsets[r]; }

        /** Whether no constant shares a bit with any thread part, so that XOR is addition (the constant fits an immediate offset). */
        public boolean constantsAdd() {
            int threadBits = 0, constantBits = 0;
            for (String in : threadOffsets.inDimNames()) for (int[] b : threadOffsets.bases(in)) threadBits |= b[0];
            for (int c : registerOffsets) constantBits |= c;
            return (threadBits & constantBits) == 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Accesses a && threadOffsets.equals(a.threadOffsets) && Arrays.equals(registerOffsets, a.registerOffsets);
        }

        @Override
        public int hashCode() { return threadOffsets.hashCode() * 31 + Arrays.hashCode(registerOffsets); }

        @Override
        public String toString() { return "accesses{threads: " + threadOffsets + "; registers: " + Arrays.toString(registerOffsets) + "}"; }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SharedLayout s && shape.equals(s.shape) && vec == s.vec && perPhase == s.perPhase && maxPhase == s.maxPhase && Arrays.equals(order, s.order);
    }

    @Override
    public int hashCode() { return ((shape.hashCode() * 31 + vec) * 31 + perPhase) * 31 * 31 + maxPhase * 31 + Arrays.hashCode(order); }

    @Override
    public String toString() {
        return "shared" + shape + "{vec=" + vec + ", perPhase=" + perPhase + ", maxPhase=" + maxPhase + ", order=" + Arrays.toString(order) + "}";
    }
}
