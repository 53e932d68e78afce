package dev.tessera.cuda.codegen;

import dev.tessera.cuda.codegen.control.DebugSites;
import java.util.List;

/**
 * A kernel's generated PTX and what launching it needs.
 *
 * @param ptx            the module text
 * @param entry          the kernel's entry name
 * @param threads        threads per program (numWarps × 32)
 * @param sharedBytes    dynamic shared memory per program
 * @param params         how each runtime parameter of the kernel's IR is passed, in order (a
 *                       descriptor on a target without TMA is its base, shape and strides: its
 *                       own U64 parameters)
 * @param maps           per TENSOR_MAP parameter (by its index), the box its map is encoded with
 * @param debug          the assertion sites; when not empty, two hidden parameters follow the
 *                       runtime ones: the error record's address and the kernel's id
 */
public record PtxModule(String ptx, String entry, int threads, int sharedBytes, List<ParamKind> params, java.util.Map<Integer, MapBox> maps,
                        DebugSites debug) {

    public PtxModule {
        params = List.copyOf(params);
        maps = java.util.Map.copyOf(maps);
    }

    /**
     * The box a tensor map describes, as the code reads it: its dimensions, outermost first, and
     * the swizzle the copy unit applies as it writes the box into shared memory (32, 64 or 128
     * bytes, the box's inner dimension that wide; 0 for none). A descriptor loaded on its own has
     * its block as the box, unswizzled; one pipelined into a wgmma operand has a box one swizzle
     * atom wide, copied once per atom of the tile.
     */
    public record MapBox(List<Integer> dims, int swizzleBytes) {
        public MapBox {
            dims = List.copyOf(dims);
            if (swizzleBytes != 0 && swizzleBytes != 32 && swizzleBytes != 64 && swizzleBytes != 128) {
                throw new IllegalArgumentException("no tensor-map swizzle of " + swizzleBytes + " bytes");
            }
        }

        public int[] dimsArray() { return dims.stream().mapToInt(Integer::intValue).toArray(); }
    }

    /**
     * How one runtime argument travels: its PTX parameter type. TENSOR_MAP is a descriptor's
     * 128-byte CUtensorMap, encoded at launch from the descriptor's 1 + 2r argument words and
     * passed by value ({@code .param .align 64 .b8 name[128]}, a grid constant).
     */
    public enum ParamKind { U64, U32, F32, F64, TENSOR_MAP }

    public boolean hasDebugParams() { return !debug.isEmpty(); }

    private static final java.util.regex.Pattern MAXNREG = java.util.regex.Pattern.compile("\n\\.maxnreg (\\d+)");

    /**
     * The registers a thread of a specialized block must start with for its warpgroups' setmaxnreg
     * to balance (the producer's release pays for the consumers' claim exactly), or 0 when the
     * module splits none.
     */
    public int splitRegisters() {
        if (!ptx.contains("setmaxnreg.inc")) return 0;
        java.util.regex.Matcher m = MAXNREG.matcher(ptx);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
}
