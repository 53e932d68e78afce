package dev.tessera.cuda.codegen;

import java.util.EnumMap;
import java.util.Map;

/**
 * PTX text under construction: module-level globals, the kernel's prologue (values that depend
 * only on the thread index, so they are valid in every block), its body, and cold blocks placed
 * after the body (assertion failures). Registers are virtual: a fresh name for every value, one
 * declaration per kind at the top; ptxas allocates the real ones.
 */
public final class PtxWriter {
    private final StringBuilder globals = new StringBuilder();
    private final StringBuilder prologue = new StringBuilder();
    private final StringBuilder body = new StringBuilder();
    private final StringBuilder cold = new StringBuilder();
    private StringBuilder current = body;
    private final Map<RegClass, Integer> counts = new EnumMap<>(RegClass.class);
    private int labels;

    /** A fresh register of the given kind. */
    public String reg(RegClass k) {
        int n = counts.merge(k, 1, Integer::sum);
        return k.prefix + (n - 1);
    }

    public String label(String hint) { return "$L_" + hint + "_" + (labels++); }

    /** A fresh module-level name (a shared variable's). */
    public String symbol(String hint) { return "tessera_" + hint + "_" + (labels++); }

    /** One instruction: {@code format} filled with {@code args}, then ';'. */
    public void op(String format, Object... args) {
        current.append('\t').append(args.length == 0 ? format : String.format(format, args)).append(";\n");
    }

    public void place(String label) { current.append(label).append(":\n"); }

    public void comment(String text) {
        for (String line : text.split("\n")) current.append("\t// ").append(line).append('\n');
    }

    /** A raw line (a nested scope's braces, a declaration). */
    public void raw(String line) { current.append('\t').append(line).append('\n'); }

    public void global(String line) { globals.append(line).append('\n'); }

    /** Runs {@code emit} with its output going to the prologue (it may only read the thread index and parameters). */
    public <T> T inPrologue(java.util.function.Supplier<T> emit) { return in(prologue, emit); }

    /** Runs {@code emit} with its output going to the cold blocks after the body. */
    public <T> T inCold(java.util.function.Supplier<T> emit) { return in(cold, emit); }

    private <T> T in(StringBuilder target, java.util.function.Supplier<T> emit) {
        StringBuilder saved = current;
        current = target;
        try {
            return emit.get();
        } finally {
            current = saved;
        }
    }

    /** The module: header, globals, then the entry with its declarations, prologue, body and cold blocks. */
    public String finish(String header, String entry) {
        StringBuilder out = new StringBuilder(header.length() + globals.length() + prologue.length() + body.length() + cold.length() + 1024);
        out.append(header).append('\n').append(globals).append('\n').append(entry).append("\n{\n");
        counts.forEach((k, n) -> out.append("\t.reg ").append(k.decl).append(' ').append(k.prefix).append('<').append(n).append(">;\n"));
        out.append(prologue).append(body).append("\tret;\n").append(cold).append("}\n");
        return out.toString();
    }
}
