package dev.tessera.learn.visualize;

import dev.tessera.backend.KernelFault;
import dev.tessera.learn.puzzles.check.NotSolvedYet;
import dev.tessera.semantic.TraceException;

/** One line saying why a launch did not finish. */
final class Failures {
    private Failures() {}

    static String describe(RuntimeException e) {
        NotSolvedYet todo = NotSolvedYet.in(e);
        if (todo != null) return "not solved yet: " + todo.getMessage();
        if (e instanceof TraceException) return "the kernel does not trace: " + e.getMessage();
        if (e instanceof KernelFault) return "a program that was not recorded failed: " + e.getMessage();
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
