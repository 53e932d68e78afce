package dev.tessera.runtime;

import dev.tessera.types.DType;
import dev.tessera.types.DescriptorType;
import java.util.Arrays;

/**
 * A tensor and the block shape a kernel reads and writes it in (Triton's host-side
 * {@code TensorDescriptor}), passed to a kernel parameter declared {@link dev.tessera.lang.TensorDesc}.
 * In the kernel, {@code load(desc, i, j)} gives the block whose first element is at element offsets
 * (i, j), elements outside the tensor reading as 0, and {@code store(desc, offsets, value)} writes
 * one, dropping what falls outside. On Hopper GPUs these are TMA copies through a tensor map the
 * launch encodes; elsewhere they are masked loads and stores computed from the tensor's shape and
 * strides.
 *
 * <p>The rules are the Hopper tensor-memory accelerator's, checked on every device (so a kernel that
 * runs on the CPU also runs on a GPU), at launch, where a failure names the kernel argument:
 * <ul>
 *   <li>rank 1 to {@value #MAX_RANK}, the block of the same rank;</li>
 *   <li>each block dimension a power of two, at most {@value #MAX_BLOCK_DIM};</li>
 *   <li>the block's innermost dimension at least {@value #ALIGNMENT_BYTES} bytes;</li>
 *   <li>the innermost stride 1; every other stride a multiple of {@value #ALIGNMENT_BYTES} bytes
 *       (and below 2<sup>40</sup> bytes); every dimension of the tensor 1 to 2<sup>32</sup> elements;</li>
 *   <li>the tensor's first element on a {@value #ALIGNMENT_BYTES}-byte boundary;</li>
 *   <li>elements of 1, 2, 4 or 8 bytes (i1 is not a memory type for TMA).</li>
 * </ul>
 * The kernel is specialized for the descriptor's dtype and block shape, not for the tensor's shape.
 */
public final class TensorDescriptor {
    public static final int MAX_RANK = 5;
    public static final int MAX_BLOCK_DIM = 256;
    public static final int ALIGNMENT_BYTES = 16;
    private static final long MAX_DIM = 1L << 32, MAX_STRIDE_BYTES = 1L << 40;

    private final Tensor tensor;
    private final int[] block;

    private TensorDescriptor(Tensor tensor, int[] block) {
        this.tensor = tensor;
        this.block = block;
    }

    /**
     * A descriptor of {@code tensor} read in blocks of {@code blockShape} (one dimension per
     * dimension of the tensor). The TMA rules above are checked when it is passed to a kernel.
     */
    public static TensorDescriptor of(Tensor tensor, int... blockShape) {
        if (tensor == null) throw new IllegalArgumentException("a tensor descriptor needs a tensor, got null");
        if (blockShape.length != tensor.rank()) {
            throw new IllegalArgumentException("the block " + Arrays.toString(blockShape) + " has " + blockShape.length
                    + " dimensions but the tensor has " + tensor.rank() + " " + Arrays.toString(tensor.shape()));
        }
        return new TensorDescriptor(tensor, blockShape.clone());
    }

    public Tensor tensor() { return tensor; }

    public int[] blockShape() { return block.clone(); }

    public DType dtype() { return tensor.dtype(); }

    /** The type the kernel parameter gets: dtype and block shape. */
    public DescriptorType type() { return new DescriptorType(tensor.dtype(), Arrays.stream(block).boxed().toList()); }

    /** How many raw argument words a descriptor of rank {@code rank} takes: base, shape, strides. */
    public static int argumentWords(int rank) { return 1 + 2 * rank; }

    /**
     * The launch's raw words for it from {@code at}: the address of the first element, the shape,
     * then the strides in elements (outermost first), as {@link dev.tessera.backend.Backend#launch}
     * takes a descriptor; returns the index after them.
     */
    public int pack(long[] words, int at) {
        int rank = block.length;
        words[at] = tensor.dataPointer();
        for (int d = 0; d < rank; d++) {
            words[at + 1 + d] = tensor.shape(d);
            words[at + 1 + rank + d] = tensor.stride(d);
        }
        return at + argumentWords(rank);
    }

    /** Whether it keeps every rule above, as a launch checks them: where not, a library can take a path without descriptors. */
    public boolean valid() { return brokenRule() == null; }

    /** Why this descriptor breaks a rule above, said of kernel argument {@code argument}; null when it keeps them all. */
    String problem(String argument) {
        String broken = brokenRule();
        return broken == null ? null : "argument " + argument + " (a tensor descriptor of " + tensor.dtype() + Arrays.toString(tensor.shape())
                + " in blocks of " + Arrays.toString(block) + "): " + broken;
    }

    /** The first rule above this descriptor breaks, said of it; null when it keeps them all (then no text is made: every launch asks). */
    private String brokenRule() {
        int rank = block.length, es = tensor.dtype().byteSize();
        if (tensor.dtype() == DType.I1) return "i1 tensors cannot be described; store them as i8 or u8";
        if (rank < 1 || rank > MAX_RANK) return "a descriptor has 1 to " + MAX_RANK + " dimensions, not " + rank;
        for (int d = 0; d < rank; d++) {
            if (block[d] < 1 || Integer.bitCount(block[d]) != 1 || block[d] > MAX_BLOCK_DIM) {
                return "block dimension " + d + " is " + block[d] + "; each must be a power of two up to " + MAX_BLOCK_DIM;
            }
            long n = tensor.shape(d);
            if (n < 1 || n > MAX_DIM) return "dimension " + d + " has " + n + " elements; TMA needs 1 to 2^32";
        }
        if ((long) block[rank - 1] * es < ALIGNMENT_BYTES) {
            return "the block's innermost dimension is " + block[rank - 1] * es + " bytes; it must be at least "
                    + ALIGNMENT_BYTES + " (" + ALIGNMENT_BYTES / es + " " + tensor.dtype() + " elements)";
        }
        if (tensor.stride(rank - 1) != 1 && tensor.shape(rank - 1) > 1) {
            return "the innermost stride is " + tensor.stride(rank - 1) + "; it must be 1 (use .contiguous())";
        }
        for (int d = 0; d < rank - 1; d++) {
            long bytes = tensor.stride(d) * es;
            if (bytes % ALIGNMENT_BYTES != 0 || bytes <= 0 || bytes >= MAX_STRIDE_BYTES) {
                return "the stride of dimension " + d + " is " + tensor.stride(d) + " elements (" + bytes
                        + " bytes); it must be a positive multiple of " + ALIGNMENT_BYTES + " bytes (pad the rows to a multiple of "
                        + ALIGNMENT_BYTES / es + " elements)";
            }
        }
        if ((tensor.buffer().address() + tensor.byteOffset()) % ALIGNMENT_BYTES != 0) {
            return "its first element is not on a " + ALIGNMENT_BYTES + "-byte boundary (a slice that starts mid-row?)";
        }
        return null;
    }

    @Override
    public String toString() { return "TensorDescriptor(" + tensor.dtype() + Arrays.toString(tensor.shape()) + ", block " + Arrays.toString(block) + ")"; }
}
