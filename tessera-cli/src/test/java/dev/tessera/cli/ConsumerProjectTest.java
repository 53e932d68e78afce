package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/consumer-check}: a Maven project outside the checkout depends on the installed
 * artifacts and runs a library kernel. In {@code ./test} (an install) the modules before this one
 * are installed by the time it runs; without Maven, or before any install, it is skipped saying so.
 */
class ConsumerProjectTest {

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) return true;
        }
        return false;
    }

    @Test
    void separateProjectRunsAKernel(@TempDir Path dir) throws IOException, InterruptedException {
        Assumptions.assumeTrue(onPath("mvn"), "Maven (mvn) is not on the PATH, so no separate project can be built");
        Path script = Path.of("..", "scripts", "consumer-check").toAbsolutePath().normalize();
        Path log = dir.resolve("consumer-check.log"); // a file, so that a long Maven error cannot fill a pipe and stall it
        Process p = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        String out = Files.readString(log, StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
            fail("consumer-check did not finish in 5 minutes:\n" + out);
        }
        Assumptions.assumeFalse(p.exitValue() == 3, out.strip());
        assertEquals(0, p.exitValue(), "consumer-check failed:\n" + out);
        assertTrue(out.contains("consumer-check: VectorAdd of 100003 floats on"), out);
    }
}
