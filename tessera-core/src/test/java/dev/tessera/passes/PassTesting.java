package dev.tessera.passes;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Parser;
import dev.tessera.ir.Printer;
import dev.tessera.ir.Verifier;
import dev.tessera.testing.FileCheck;

/** IR text in, one pass, printed IR out (both sides verified), in the style of MLIR's pass tests. */
final class PassTesting {
    private PassTesting() {}

    static String run(Pass pass, String ir) {
        KernelIR in = Verifier.verify(Parser.parse(ir));
        return Printer.print(Verifier.verify(pass.run(in)), false);
    }

    /** Runs the pass and checks the output against FileCheck directives. */
    static String check(Pass pass, String ir, String checks) {
        String out = run(pass, ir);
        FileCheck.check(out, checks);
        return out;
    }
}
