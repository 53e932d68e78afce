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
 * @param debug          the assertion sites; when not empty, two hidden parameters follow the
 *                       runtime ones: the error record's address and the kernel's id
 */
public record PtxModule(String ptx, String entry, int threads, int sharedBytes, List<ParamKind> params, DebugSites debug) {

    /**
     * How one runtime argument travels: its PTX parameter type. TENSOR_MAP is a descriptor's
     * 128-byte CUtensorMap, encoded at launch from the descriptor's 1 + 2r argument words and
     * passed by value ({@code .param .align 64 .b8 name[128]}, a grid constant).
     */
    public enum ParamKind { U64, U32, F32, F64, TENSOR_MAP }

    public boolean hasDebugParams() { return !debug.isEmpty(); }
}
