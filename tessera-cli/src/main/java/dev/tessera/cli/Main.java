package dev.tessera.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tessera} command. */
@Command(name = "tessera", mixinStandardHelpOptions = true, version = "Tessera 0.1.0",
        description = "Triton-style tile programming for Java: kernels traced from Java methods, "
                + "run on the CPU or compiled to PTX for NVIDIA GPUs.",
        subcommands = {InfoCommand.class, DemoCommand.class, OverheadCommand.class, BenchCommand.class, TuneCommand.class, BasicsCommand.class,
                PuzzlesCommand.class, PatternsCommand.class, AdvancedCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, with errors reported by {@link #report}. */
    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).setExecutionExceptionHandler(Main::report);
    }

    /**
     * Errors a user can act on (a kernel that does not trace, a fault, a bad argument) as one message;
     * anything else, or everything with TESSERA_DEBUG set, with its stack trace.
     */
    private static int report(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        boolean known = e instanceof dev.tessera.semantic.TraceException || e instanceof dev.tessera.backend.KernelFault
                || e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof UnsupportedOperationException;
        if (known && System.getenv("TESSERA_DEBUG") == null) {
            cmd.getErr().println("tessera " + cmd.getCommandName() + ": " + e.getMessage());
        } else {
            e.printStackTrace(cmd.getErr());
        }
        return 1;
    }
}
