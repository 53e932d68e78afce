package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.tessera.types.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;

/**
 * Encodes tensor maps, the descriptors Hopper's tensor-memory accelerator reads, with the driver's
 * {@code cuTensorMapEncodeTiled}: tiled mode, no interleave, zeros for elements outside the
 * tensor, and the box and swizzle the kernel's code reads (its block unswizzled, or one swizzle
 * atom of a wgmma operand's tile). The rules a tensor must keep
 * (alignment, box limits) are checked before, in {@link dev.tessera.runtime.TensorDescriptor};
 * the driver's own check stays as a last line, failing with its error name.
 */
public final class TensorMaps {
    private TensorMaps() {}

    /** cuda.h's CUtensorMapDataType by Tessera's memory type: TMA moves bits, so 8-bit types of every kind go as UINT8. */
    private static final Map<DType, Integer> DATA_TYPE = new EnumMap<>(Map.ofEntries(
            Map.entry(DType.I8, 0), Map.entry(DType.U8, 0), Map.entry(DType.FP8E4M3, 0), Map.entry(DType.FP8E5M2, 0),
            Map.entry(DType.I16, 1), Map.entry(DType.U16, 1), Map.entry(DType.U32, 2), Map.entry(DType.I32, 3),
            Map.entry(DType.U64, 4), Map.entry(DType.I64, 5), Map.entry(DType.F16, 6), Map.entry(DType.F32, 7),
            Map.entry(DType.F64, 8), Map.entry(DType.BF16, 9)));
    private static final int INTERLEAVE_NONE = 0, OOB_FILL_ZEROS = 0;
    /** L2 lines fetched 128 bytes at a time, as CUTLASS's and Triton's maps do. */
    private static final int L2_PROMOTION_128B = 2;
    private static final int MAX_RANK = dev.tessera.runtime.TensorDescriptor.MAX_RANK;

    /** Per thread: globalDim, globalStrides (u64 × 5 each), boxDim and elementStrides (u32 × 5 each). */
    private static final ThreadLocal<MemorySegment> SCRATCH = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(MAX_RANK * 8L * 2 + MAX_RANK * 4L * 2, 8));

    /**
     * Writes into {@code map} (128 bytes, 64-byte aligned) the tensor map with box {@code block}
     * (outermost first), written into shared memory with a swizzle of {@code swizzleBytes} (0, 32, 64
     * or 128), of the descriptor whose argument words start at {@code args[at]}: the first element's
     * device address, the shape, then the strides in elements, outermost first (see
     * {@link dev.tessera.backend.Backend#launch}).
     */
    public static MemorySegment encode(MemorySegment map, DType element, int[] block, int swizzleBytes, long[] args, int at) {
        int rank = block.length, es = element.byteSize();
        Integer dataType = DATA_TYPE.get(element);
        if (dataType == null) throw new IllegalArgumentException("no tensor map holds " + element + " elements");
        MemorySegment s = SCRATCH.get();
        long dims = 0, strides = MAX_RANK * 8L, boxDims = 2 * MAX_RANK * 8L, elementStrides = boxDims + MAX_RANK * 4L;
        for (int i = 0; i < rank; i++) {
            int d = rank - 1 - i; // the driver counts dimensions innermost first
            s.set(JAVA_LONG, dims + i * 8L, args[at + 1 + d]);
            if (i > 0) s.set(JAVA_LONG, strides + (i - 1) * 8L, args[at + 1 + rank + d] * es);
            s.set(JAVA_INT, boxDims + i * 4L, block[d]);
            s.set(JAVA_INT, elementStrides + i * 4L, 1);
        }
        int r = Cu.cuTensorMapEncodeTiled(map, dataType, rank, args[at], s.asSlice(dims), s.asSlice(strides), s.asSlice(boxDims),
                s.asSlice(elementStrides), INTERLEAVE_NONE, swizzle(swizzleBytes), L2_PROMOTION_128B, OOB_FILL_ZEROS);
        if (r != Cu.CUDA_SUCCESS) throw CudaException.of(r, "cuTensorMapEncodeTiled");
        return map;
    }

    /** cuda.h's CUtensorMapSwizzle: NONE, 32B, 64B, 128B. */
    static int swizzle(int bytes) {
        return switch (bytes) {
            case 0 -> 0;
            case 32 -> 1;
            case 64 -> 2;
            case 128 -> 3;
            default -> throw new IllegalArgumentException("no tensor-map swizzle of " + bytes + " bytes");
        };
    }
}
