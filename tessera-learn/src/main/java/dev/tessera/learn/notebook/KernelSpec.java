package dev.tessera.learn.notebook;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The Jupyter kernel spec of {@link NotebookKernel}: a {@code kernel.json} whose command runs this
 * Java with a class path of Tessera's built jars. Jupyter finds it under
 * {@code <data dir>/kernels/tessera-java/}.
 */
public final class KernelSpec {
    private KernelSpec() {}

    /** The kernel's name in the notebook's metadata and in {@code jupyter kernelspec list}. */
    public static final String NAME = "tessera-java";

    /** The JVM flags the kernel runs with: what every JVM running Tessera needs, deep traces, no display. */
    static final List<String> JVM_FLAGS = List.of("--enable-native-access=ALL-UNNAMED", "-Xss8m", "-Djava.awt.headless=true");

    /** The kernel.json text for {@code java} (the launcher binary) and {@code classPath}. */
    public static String json(Path java, String classPath) {
        List<String> argv = new java.util.ArrayList<>();
        argv.add(java.toString());
        argv.addAll(JVM_FLAGS);
        argv.addAll(List.of("-cp", classPath, NotebookKernel.class.getName(), "{connection_file}"));
        return "{\n  \"argv\": [" + argv.stream().map(KernelSpec::quote).collect(Collectors.joining(", ")) + "],\n"
                + "  \"display_name\": \"Java (Tessera)\",\n  \"language\": \"java\",\n  \"interrupt_mode\": \"message\"\n}\n";
    }

    /** Writes {@code dataDir/kernels/tessera-java/kernel.json}; returns the kernel's directory. */
    public static Path install(Path dataDir, Path java, String classPath) throws IOException {
        Path dir = dataDir.resolve("kernels").resolve(NAME);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("kernel.json"), json(java, classPath));
        return dir;
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
