package dev.tessera.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The test kernels, with the headers PtxTarget writes, go through the CUDA toolkit's ptxas where one
 * is installed (no GPU needed), so a PTX mistake shows up before a GPU run rather than during it.
 */
class PtxSourcesTest {
    @TempDir
    Path dir;

    private static Optional<Path> ptxas() {
        Stream<String> homes = Stream.of(System.getenv("CUDA_HOME"), System.getenv("CUDA_PATH"), "/usr/local/cuda");
        Stream<Path> candidates = Stream.concat(
                homes.filter(h -> h != null && !h.isBlank()).map(h -> Path.of(h, "bin", "ptxas")),
                Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                        .filter(p -> !p.isBlank()).map(p -> Path.of(p, "ptxas")));
        return candidates.filter(Files::isExecutable).findFirst();
    }

    private record Result(int exitCode, String output) {}

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "ptxas did not finish");
        return new Result(process.exitValue(), output);
    }

    /** The toolkit's CUDA version as a driver version number, so the ISA we write is one it knows. */
    private static int toolkitVersion(Path ptxas) throws IOException, InterruptedException {
        Matcher m = Pattern.compile("release (\\d+)\\.(\\d+)").matcher(run(List.of(ptxas.toString(), "--version")).output());
        assumeTrue(m.find(), "cannot tell the version of " + ptxas);
        return Integer.parseInt(m.group(1)) * 1000 + Integer.parseInt(m.group(2)) * 10;
    }

    private Result compile(String ptx, String arch) throws IOException, InterruptedException {
        Path file = dir.resolve("module.ptx");
        Files.writeString(file, ptx);
        Path ptxas = ptxas().orElseThrow();
        return run(List.of(ptxas.toString(), "-arch=" + arch, "-v", file.toString(), "-o", dir.resolve("module.cubin").toString()));
    }

    @ParameterizedTest(name = "cc {0}.{1}")
    @CsvSource({"8, 0", "9, 0"})
    void testKernelsCompile(int major, int minor) throws Exception {
        Optional<Path> ptxas = ptxas();
        assumeTrue(ptxas.isPresent(), "no ptxas (CUDA toolkit) on this machine");
        PtxTarget target = PtxTarget.of(major, minor, toolkitVersion(ptxas.get()));
        Result result = compile(TestPtx.kernels(target), target.arch());
        assertEquals(0, result.exitCode(), result.output());
        for (String kernel : List.of("vector_add", "echo_args", "empty", "smem_probe")) {
            assertTrue(result.output().contains("'" + kernel + "'"), kernel + " missing from:\n" + result.output());
        }
    }

    @Test
    void brokenKernelFailsNamingTheCulprit() throws Exception {
        Optional<Path> ptxas = ptxas();
        assumeTrue(ptxas.isPresent(), "no ptxas (CUDA toolkit) on this machine");
        PtxTarget target = PtxTarget.of(9, 0, toolkitVersion(ptxas.get()));
        Result result = compile(TestPtx.broken(target), target.arch());
        assertNotEquals(0, result.exitCode());
        assertTrue(result.output().contains("%undeclared_register"), result.output());
    }
}
