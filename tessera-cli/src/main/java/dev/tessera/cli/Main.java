package dev.tessera.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tessera} command. */
@Command(name = "tessera", mixinStandardHelpOptions = true, version = "Tessera 0.1.0",
        description = "Triton-style tile programming for Java: kernels traced from Java methods, "
                + "run on the CPU or compiled to PTX for NVIDIA GPUs.",
        subcommands = {InfoCommand.class, DemoCommand.class, BenchCommand.class, TuneCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line: user errors (a bad size, an unknown kernel or device) are reported as one
     * line with exit code 2; anything else keeps its stack trace.
     */
    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((ex, cmd, parsed) -> {
                    if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
                            || ex instanceof UnsupportedOperationException) {
                        cmd.getErr().println("tessera " + cmd.getCommandName() + ": " + ex.getMessage());
                        return 2;
                    }
                    throw ex;
                });
    }
}
