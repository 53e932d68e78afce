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
 * @param params         how each runtime argument is passed, in order
 * @param debug          the assertion sites; when not empty, two hidden parameters follow the
 *                       runtime ones: the error record's address and the kernel's id
 */
public record PtxModule(String ptx, String entry, int threads, int sharedBytes, List<ParamKind> params, DebugSites debug) {

    /** How one runtime argument travels: its PTX parameter type. */
    public enum ParamKind { U64, U32, F32, F64 }

    public boolean hasDebugParams() { return !debug.isEmpty(); }
}
