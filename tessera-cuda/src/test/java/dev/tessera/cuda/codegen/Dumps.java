package dev.tessera.cuda.codegen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Keeps generated PTX and ptxas's report under target/ptx for reading after a test run. */
final class Dumps {
    private Dumps() {}

    static void write(String name, String ptx, String report) {
        try {
            Path dir = Path.of("target", "ptx");
            Files.createDirectories(dir);
            String file = name.replaceAll("[^A-Za-z0-9_.-]", "_");
            Files.writeString(dir.resolve(file + ".ptx"), ptx);
            Files.writeString(dir.resolve(file + ".ptxas.txt"), report);
        } catch (IOException e) {
            // a dump is a convenience; never fail a test over it
        }
    }
}
