package dev.tessera.cli;

import dev.tessera.learn.notebook.Jupyter;
import dev.tessera.learn.notebook.KernelSpec;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera notebook}: the course as a Jupyter notebook, with a Java kernel over Tessera's built jars. */
@Command(name = "notebook", mixinStandardHelpOptions = true, version = Main.VERSION, description = {
        "Open the course as a Jupyter notebook, with a Java kernel that runs Tessera.",
        "Installs the kernel spec 'tessera-java' (this Java, Tessera's built jars) in Jupyter's data directory, then",
        "opens tessera-learn/notebook/tessera.ipynb. Needs Jupyter (Debian: apt-get install jupyter-notebook",
        "python3-ipykernel jupyter-nbconvert)."})
final class NotebookCommand implements Callable<Integer> {
    @Option(names = "--install", description = "Only install the kernel spec, and say where.")
    boolean installOnly;

    @Option(names = "--execute", description = "Run every cell headless (jupyter nbconvert --execute) and write the notebook with its "
            + "outputs to --output; fails when a cell fails.")
    boolean execute;

    @Option(names = "--output", paramLabel = "FILE", description = "With --execute: where the executed notebook goes (default: over the notebook).")
    Path output;

    @Option(names = "--notebook", paramLabel = "FILE", description = "The notebook (default: tessera-learn/notebook/tessera.ipynb of this checkout).")
    Path notebook;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Optional<Path> jupyter = Jupyter.find();
        if (jupyter.isEmpty() || !(installOnly || Jupyter.has(jupyter.get(), execute ? "nbconvert" : "notebook"))) {
            System.err.println("tessera notebook: " + Jupyter.MISSING);
            return 1;
        }
        Path root = checkout();
        Path nb = notebook != null ? notebook : root == null ? null : root.resolve("tessera-learn/notebook/tessera.ipynb");
        if (!installOnly && (nb == null || !Files.isRegularFile(nb))) {
            throw new IllegalArgumentException("no notebook at " + (nb == null ? "(unknown: not run from a checkout)" : nb) + "; give one with --notebook FILE");
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // the checkout's jars by wildcard, so a rebuild (new jar names) keeps the spec valid
        String classPath = root == null ? System.getProperty("java.class.path")
                : root.resolve("tessera-cli/target/classes") + File.pathSeparator + root.resolve("tessera-cli/target/lib") + File.separator + "*";
        if (execute) {
            Path kernels = Files.createTempDirectory("tessera-kernel-spec");
            KernelSpec.install(kernels, java, classPath);
            Path out = output != null ? output : nb;
            int code = Jupyter.execute(jupyter.get(), nb, out, kernels, 600);
            if (code != 0) System.err.println("tessera notebook: a cell failed (above: which, and why)");
            else System.out.println("tessera notebook: every cell ran; the notebook with its outputs is " + out);
            return code == 0 ? 0 : 1;
        }
        Path dir = KernelSpec.install(Jupyter.dataDir(jupyter.get()), java, classPath);
        System.out.println("tessera notebook: installed the kernel 'Java (Tessera)' in " + dir);
        if (installOnly) return 0;
        System.out.println("tessera notebook: opening " + nb + " (stop Jupyter with Ctrl-C)");
        List<String> open = new ArrayList<>(List.of(jupyter.get().toString(), "notebook", nb.toString()));
        if ("root".equals(System.getProperty("user.name"))) open.add("--allow-root"); // containers and CI machines: Jupyter refuses root otherwise
        return new ProcessBuilder(open).inheritIO().start().waitFor();
    }

    /** The checkout this command runs from (its classes are in tessera-cli/target/classes), or null. */
    private static Path checkout() {
        try {
            Path classes = Path.of(NotebookCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path root = classes.getParent() == null ? null : classes.getParent().getParent();
            root = root == null ? null : root.getParent();
            return root != null && Files.isRegularFile(root.resolve("tessera-learn/pom.xml")) ? root : null;
        } catch (URISyntaxException | SecurityException e) {
            return null;
        }
    }
}
