package dev.tessera.cli;

import static dev.tessera.cli.BenchCommandTest.tessera;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.cli.BenchCommandTest.Run;
import dev.tessera.kernels.bench.KernelBench;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * What a new user meets first: every command answers {@code --help}, the command list shows whole
 * sentences, and a bad value is one line naming it with exit code 2, before any work is done.
 */
class UsageErrorsTest {

    /** Every command's path below {@code tessera}: [info], [puzzles], [puzzles, check], ... */
    static List<List<String>> commands(CommandLine cl, List<String> path) {
        List<List<String>> out = new ArrayList<>();
        cl.getSubcommands().forEach((name, sub) -> {
            if (name.equals("help")) return;
            List<String> p = Stream.concat(path.stream(), Stream.of(name)).toList();
            out.add(p);
            out.addAll(commands(sub, p));
        });
        return out;
    }

    @Test
    void everyCommandAnswersHelp() {
        List<List<String>> all = commands(Main.commandLine(), List.of());
        assertTrue(all.contains(List.of("puzzles", "visualize")), all.toString());
        for (List<String> command : all) {
            Run r = tessera(Stream.concat(command.stream(), Stream.of("--help")).toArray(String[]::new));
            String name = "tessera " + String.join(" ", command);
            assertEquals(0, r.code(), name + " --help: " + r.err());
            assertTrue(r.out().startsWith("Usage: " + name), name + " --help:\n" + r.out());
            assertTrue(r.err().isEmpty(), name + " --help asks for nothing: " + r.err());
        }
    }

    @Test
    void theCommandListShowsWholeSentences() {
        CommandLine main = Main.commandLine();
        Run r = tessera("--help");
        for (List<String> command : commands(main, List.of())) {
            CommandLine cl = main;
            for (String part : command) cl = cl.getSubcommands().get(part);
            String[] description = cl.getCommandSpec().usageMessage().description();
            String first = description[0].strip();
            assertTrue(first.endsWith(".") || first.endsWith(":"), "the list shows only the first line of " + command + ": '" + first + "'");
            if (command.size() == 1) assertTrue(r.out().replaceAll("\\s+", " ").contains(first), first + " in\n" + r.out());
        }
        Run bench = tessera("bench", "--help");
        for (KernelBench k : KernelBench.ALL) assertTrue(bench.out().contains(k.name()), k.name() + " in\n" + bench.out());
    }

    static void oneLine(Run r, String expected) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace:\n" + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertTrue(r.out().isEmpty(), "nothing ran:\n" + r.out());
    }

    @Test
    void badSizesAreOneLine() {
        oneLine(tessera("bench", "vector-add", "--sizes", "0", "--device", "cpu", "--no-log"), "tessera bench: bad size '0': sizes must be at least 1");
        oneLine(tessera("bench", "vector-add", "--sizes", "64,-8", "--device", "cpu", "--no-log"), "bad size '-8'");
        oneLine(tessera("bench", "softmax", "--rows", "0", "--device", "cpu", "--no-log"), "--rows must be positive, got 0");
        oneLine(tessera("tune", "softmax", "--sizes", "-1", "--device", "cpu", "--no-cache"), "tessera tune: bad size '-1'");
        oneLine(tessera("demo", "--device", "cpu:-1"), "bad device 'cpu:-1'");
    }

    @Test
    void anUnwritablePlotFailsBeforeTheRun(@TempDir Path dir) throws Exception {
        Path blocker = Files.writeString(dir.resolve("blocker"), "a file where a directory is needed");
        Path plot = blocker.resolve("chart.png");
        oneLine(tessera("bench", "vector-add", "--sizes", "64", "--device", "cpu", "--no-log", "--plot", plot.toString()),
                "tessera bench: cannot write --plot " + plot + ": " + blocker);
        assertEquals("a file where a directory is needed", Files.readString(blocker), "nothing written");
    }

    @Test
    void dumpKindsThatShowNothingSaySo() throws Exception {
        // TESSERA_DUMP is read once per process, so this runs the command in a process of its own
        ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "basics", "program-ids", "--device", "cpu");
        pb.environment().put("TESSERA_DUMP", "bogus,ptx");
        pb.environment().put("TESSERA_CACHE_DIR", Files.createTempDirectory("tessera-dump-test").toString());
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), new String(out, StandardCharsets.UTF_8) + err);
        List<String> warnings = err.lines().filter(l -> l.startsWith("tessera: TESSERA_DUMP")).toList();
        assertEquals(List.of("tessera: TESSERA_DUMP kind 'bogus' is not known; the kinds are ir, passes, fusion, gpu, ptx, cubin, resources, all",
                "tessera: TESSERA_DUMP=ptx: PTX exists only for CUDA devices, and this kernel runs on cpu"), warnings, err);
        assertFalse(err.contains("Exception"), err);
    }

    @Test
    void cacheSizeListAndClear(@TempDir Path dir) {
        String old = System.getProperty("tessera.cache.dir");
        System.setProperty("tessera.cache.dir", dir.toString());
        try (var x = dev.tessera.runtime.Tensor.zeros(dev.tessera.types.DType.F32, dev.tessera.runtime.Device.cpu(), 8)) {
            dev.tessera.runtime.Jit.kernel(dev.tessera.kernels.elementwise.VectorAdd.class, "add").specialize(x, x, x, 8, 64); // a fresh memory cache: written to disk
            Run size = tessera("cache");
            assertEquals(0, size.code(), size.err());
            assertTrue(size.out().startsWith(dir + ": 1 compiled kernel, "), size.out());
            Run list = tessera("cache", "list");
            assertTrue(list.out().contains("add") && list.out().contains(".kernel"), list.out());
            Run clear = tessera("cache", "clear");
            assertTrue(clear.out().startsWith("removed 1 compiled kernel from " + dir), clear.out());
            assertTrue(tessera("cache", "size").out().startsWith(dir + ": 0 compiled kernels"));
        } finally {
            if (old == null) System.clearProperty("tessera.cache.dir");
            else System.setProperty("tessera.cache.dir", old);
        }
    }
}
