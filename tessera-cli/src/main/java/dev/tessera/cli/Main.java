package dev.tessera.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tessera} command. */
@Command(name = "tessera", mixinStandardHelpOptions = true, version = "Tessera 0.1.0",
        description = "Triton-style tile programming for Java: kernels traced from Java methods, "
                + "run on the CPU or compiled to PTX for NVIDIA GPUs.",
        subcommands = {InfoCommand.class, DemoCommand.class, PuzzlesCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        int code = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        System.exit(code);
    }
}
