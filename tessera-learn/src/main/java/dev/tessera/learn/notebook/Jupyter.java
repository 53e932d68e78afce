package dev.tessera.learn.notebook;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** Jupyter as installed on this machine: found on the PATH, asked for its data directory, told to run a notebook. */
public final class Jupyter {
    private Jupyter() {}

    /** What to install when {@link #find} finds nothing. */
    public static final String MISSING = "Jupyter is not installed (no `jupyter` on the PATH, or without notebook and nbconvert). On Debian or Ubuntu: "
            + "sudo apt-get install jupyter-notebook python3-ipykernel jupyter-nbconvert; elsewhere: pip install notebook nbconvert. "
            + "Then run this again.";

    /** The {@code jupyter} command on the PATH, if there is one. */
    public static Optional<Path> find() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)).filter(p -> !p.isBlank())
                .map(p -> Path.of(p, "jupyter")).filter(Files::isExecutable).findFirst();
    }

    /** Whether {@code jupyter SUBCOMMAND} is installed ("nbconvert" to run notebooks, "notebook" to open them). */
    public static boolean has(Path jupyter, String subcommand) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(jupyter.toString(), subcommand, "--version").redirectErrorStream(true).start();
        p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        return p.waitFor() == 0;
    }

    /** Jupyter's user data directory ({@code jupyter --data-dir}), where kernel specs go. */
    public static Path dataDir(Path jupyter) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(jupyter.toString(), "--data-dir").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0) throw new IOException("`jupyter --data-dir` failed: " + out);
        return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
    }

    /**
     * Executes {@code notebook} headless with the kernel whose spec is under {@code kernelData}
     * ({@code jupyter nbconvert --execute}), writing the notebook with its outputs to {@code output};
     * a cell that fails stops it. Returns nbconvert's exit code; its messages go to this process's.
     */
    public static int execute(Path jupyter, Path notebook, Path output, Path kernelData, int cellTimeoutSeconds)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(jupyter.toString(), "nbconvert", "--to", "notebook", "--execute",
                "--ExecutePreprocessor.timeout=" + cellTimeoutSeconds, "--ExecutePreprocessor.kernel_name=" + KernelSpec.NAME,
                "--output-dir", output.toAbsolutePath().getParent().toString(), "--output", output.getFileName().toString(),
                notebook.toString()));
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        Map<String, String> env = pb.environment();
        String path = env.get("JUPYTER_PATH");
        env.put("JUPYTER_PATH", kernelData + (path == null || path.isBlank() ? "" : java.io.File.pathSeparator + path));
        return pb.start().waitFor();
    }
}
