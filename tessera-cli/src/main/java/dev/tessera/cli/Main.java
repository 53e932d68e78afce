package dev.tessera.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tessera} command. */
@Command(name = "tessera", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Triton-style tile programming for Java: kernels traced from Java methods, "
                + "run on the CPU or compiled to PTX for NVIDIA GPUs.",
        subcommands = {InfoCommand.class, DemoCommand.class, OverheadCommand.class, BenchCommand.class, TuneCommand.class, BasicsCommand.class,
                LlamaCommand.class, PuzzlesCommand.class, PatternsCommand.class, AdvancedCommand.class, NotebookCommand.class, CacheCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    static final String VERSION = "Tessera 0.1.0";

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, with errors reported by {@link #report}. */
    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).setExecutionExceptionHandler(Main::report);
    }

    /**
     * Errors a user can act on as one line, naming the command as typed ({@code tessera puzzles
     * check: ...}): a bad value (exit code 2, as picocli gives for a bad option), a kernel that does
     * not trace, a fault or a device that is not there (exit code 1). Anything else, or everything
     * with TESSERA_DEBUG set, with its stack trace.
     */
    private static int report(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        boolean badValue = e instanceof IllegalArgumentException;
        boolean known = badValue || e instanceof dev.tessera.semantic.TraceException || e instanceof dev.tessera.backend.KernelFault
                || e instanceof IllegalStateException || e instanceof UnsupportedOperationException
                || e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException;
        if (known && System.getenv("TESSERA_DEBUG") == null) {
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
            return badValue ? 2 : 1;
        }
        e.printStackTrace(cmd.getErr());
        return 1;
    }
}
