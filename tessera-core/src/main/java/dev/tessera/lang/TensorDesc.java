package dev.tessera.lang;

import dev.tessera.ir.Value;
import dev.tessera.types.DescriptorType;

/**
 * A kernel parameter that receives a {@link dev.tessera.runtime.TensorDescriptor}: a tensor read and
 * written a block at a time with {@link TL#load(TensorDesc, Tile...)} and
 * {@link TL#store(TensorDesc, Tile[], Tile)}. Its element type and block shape are fixed for a
 * compiled specialization; the tensor's address, shape and strides come with each launch.
 *
 * <pre>{@code
 * @Kernel
 * static void copy(TensorDesc in, TensorDesc out, @Constexpr int BM, @Constexpr int BN) {
 *     Tile m = programId(0).mul(BM), n = programId(1).mul(BN);
 *     store(out, at(m, n), load(in, m, n));
 * }
 * }</pre>
 */
public final class TensorDesc {
    private final Value value;

    private TensorDesc(Value value) { this.value = value; }

    /** For the tracer: the descriptor standing for a kernel parameter. */
    public static TensorDesc wrap(Value value) {
        if (!(value.type().element() instanceof DescriptorType)) throw new IllegalArgumentException(value.type() + " is not a descriptor");
        return new TensorDesc(value);
    }

    /** For the tracer: the IR value behind it. */
    public Value value() { return value; }

    /** The tensor's element type. */
    public dev.tessera.types.DType dtype() { return type().element(); }

    /** The block shape loads give and stores take. */
    public int[] blockShape() { return type().blockShape(); }

    private DescriptorType type() { return (DescriptorType) value.type().element(); }

    @Override
    public String toString() { return "TensorDesc(" + value.type() + ")"; }
}
