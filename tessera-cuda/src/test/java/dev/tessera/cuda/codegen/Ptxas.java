package dev.tessera.cuda.codegen;

import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.driver.PtxTarget;
import dev.tessera.ir.KernelIR;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The CUDA toolkit's ptxas, where one is installed ({@code PTXAS}, {@code CUDA_HOME}, /usr/local/cuda,
 * the PATH): assembles generated PTX for an architecture and reports registers and spills, with
 * no GPU. Tests skip with the reason where there is none.
 */
public final class Ptxas {
    private Ptxas() {}

    /** What ptxas said about one kernel. */
    public record Report(int exitCode, String output, int registers, int spillStores, int spillLoads, int stackFrame) {
        public boolean ok() { return exitCode == 0; }
    }

    private static final Optional<Path> PATH = find();
    private static volatile Integer version;

    public static Optional<Path> path() { return PATH; }

    public static String missingReason() { return "no ptxas (CUDA toolkit) here: set PTXAS or install the toolkit"; }

    private static Optional<Path> find() {
        String env = System.getenv("PTXAS");
        if (env != null && !env.isBlank() && Files.isExecutable(Path.of(env))) return Optional.of(Path.of(env));
        Stream<String> homes = Stream.of(System.getenv("CUDA_HOME"), System.getenv("CUDA_PATH"), "/usr/local/cuda");
        Stream<Path> candidates = Stream.concat(
                homes.filter(h -> h != null && !h.isBlank()).map(h -> Path.of(h, "bin", "ptxas")),
                Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).filter(p -> !p.isBlank()).map(p -> Path.of(p, "ptxas")));
        return candidates.filter(Files::isExecutable).findFirst();
    }

    /** The toolkit's CUDA version in driver-version form (13000 for 13.0), so generated PTX uses an ISA it knows. */
    public static int toolkitVersion() {
        if (version == null) {
            try {
                Matcher m = Pattern.compile("release (\\d+)\\.(\\d+)").matcher(run(List.of(PATH.orElseThrow().toString(), "--version")).output());
                version = m.find() ? Integer.parseInt(m.group(1)) * 1000 + Integer.parseInt(m.group(2)) * 10 : 12000;
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        return version;
    }

    /** The target for compute capability major.minor with this toolkit's newest ISA. */
    public static Target target(int major, int minor) {
        return Target.of(PtxTarget.of(major, minor, toolkitVersion()));
    }

    /** What ptxas said, by arch and SHA-256 of the PTX: a test JVM assembles each distinct text once. */
    private static final ConcurrentHashMap<String, Report> ASSEMBLED = new ConcurrentHashMap<>();

    /** Assembles {@code ptx} for {@code arch} with {@code -v}, or returns what it said about the same text before. */
    public static Report assemble(String ptx, String arch) throws IOException, InterruptedException {
        String key = arch + ":" + sha256(ptx);
        Report known = ASSEMBLED.get(key);
        if (known != null) return known;
        Report r = run(ptx, arch);
        ASSEMBLED.putIfAbsent(key, r);
        return r;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Report run(String ptx, String arch) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("tessera-ptxas");
        try {
            Path file = dir.resolve("kernel.ptx");
            Files.writeString(file, ptx);
            Result r = run(List.of(PATH.orElseThrow().toString(), "-arch=" + arch, "-v", file.toString(), "-o", dir.resolve("kernel.cubin").toString()));
            return new Report(r.exitCode(), r.output(), number(r.output(), "Used (\\d+) registers"),
                    number(r.output(), "(\\d+) bytes spill stores"), number(r.output(), "(\\d+) bytes spill loads"),
                    number(r.output(), "(\\d+) bytes stack frame"));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** A build as {@link Occupancy#choose} reads it: what ptxas said of the PTX asking for {@code minBlocks} blocks. */
    public record Build(int minBlocks, Report report) implements Occupancy.Build {
        @Override
        public int registers() { return report.registers(); }

        @Override
        public int localBytes() { return Math.max(0, report.stackFrame()); }
    }

    /**
     * The build the CUDA compiler keeps for {@code ir} on {@code numWarps} warps, chosen as it
     * chooses ({@link Occupancy#choose}) with this ptxas in place of the driver's linker.
     */
    public static Build chosen(KernelIR ir, int numWarps, Target target) {
        return Occupancy.choose(numWarps * 32, minBlocks -> {
            try {
                Report r = assemble(PtxCodegen.generate(ir, new LaunchOptions(numWarps, 1), target, minBlocks).ptx(), target.ptx().arch());
                if (!r.ok()) throw new IllegalStateException("ptxas rejected the PTX:\n" + r.output());
                return new Build(minBlocks, r);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }, discarded -> { });
    }

    private static int number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private record Result(int exitCode, String output) {}

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("ptxas did not finish: " + command);
        }
        return new Result(process.exitValue(), output);
    }
}
