package dev.tessera.cuda.ptxcheck;

import dev.tessera.backend.Backend;
import dev.tessera.backend.Buffer;
import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.DeviceInfo;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.codegen.Ptxas;
import dev.tessera.cuda.codegen.PtxCodegen;
import dev.tessera.cuda.codegen.PtxModule;
import dev.tessera.cuda.codegen.Target;
import dev.tessera.cuda.driver.CudaDriver;
import dev.tessera.ir.KernelIR;
import dev.tessera.runtime.Backends;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A test-only device for machines without a GPU: every kernel a test compiles for it also goes
 * through Tessera's PTX code generator and the toolkit's ptxas for sm_80 and sm_90a (a failure
 * fails the test with ptxas's message), then runs on the CPU backend so the test goes on. With
 * it on the class path, every op test that runs on every device checks its kernels' PTX.
 * It stands down where a CUDA device is present (the cuda backend runs the same tests for real)
 * or no ptxas is installed.
 */
public final class PtxCheckBackend implements Backend {
    /** One assembled kernel, for reports. */
    public record Assembled(String kernel, String arch, int registers, int spillBytes, int stackFrame) {}

    private static final ConcurrentLinkedQueue<Assembled> ASSEMBLED = new ConcurrentLinkedQueue<>();
    private static final int[][] TARGETS = {{8, 0}, {9, 0}};

    public static List<Assembled> assembled() { return List.copyOf(ASSEMBLED); }

    static {
        // a line per test JVM: how many kernels ptxas saw, and the worst registers and spills
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            List<Assembled> all = assembled();
            if (all.isEmpty()) return;
            int regs = all.stream().mapToInt(Assembled::registers).max().orElse(0);
            long spilling = all.stream().filter(a -> a.spillBytes() > 0 || a.stackFrame() > 0).count();
            String line = "ptxcheck: " + all.size() / TARGETS.length + " kernels assembled for sm_80 and sm_90a; most registers " + regs
                    + "; " + spilling + " assemblies with spills or a stack frame "
                    + all.stream().filter(a -> a.spillBytes() > 0 || a.stackFrame() > 0).map(a -> a.kernel() + "@" + a.arch() + ":" + a.spillBytes() + "B")
                    .distinct().limit(40).toList() + "\n";
            try {
                java.nio.file.Files.writeString(java.nio.file.Path.of("target", "ptxcheck-summary.txt"), line,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
                // only a report
            }
        }));
    }

    private Backend cpu() { return Backends.get("cpu"); }

    @Override
    public String name() { return "ptxcheck"; }

    @Override
    public List<DeviceInfo> devices() {
        if (unavailableReason() != null) return List.of();
        return List.of(new DeviceInfo("ptxcheck", 0, "CPU, with every kernel checked by ptxas",
                "kernels compile to PTX for sm_80 and sm_90a through ptxas, then run on the CPU backend", Map.of()));
    }

    @Override
    public String unavailableReason() {
        if (Ptxas.path().isEmpty()) return Ptxas.missingReason();
        if (CudaDriver.isAvailable()) return "a CUDA device is present: the cuda backend runs these tests for real";
        return null;
    }

    @Override
    public int priority() { return -10; }

    @Override
    public Buffer allocate(int device, long bytes) { return cpu().allocate(0, bytes); }

    @Override
    public void copyIn(MemorySegment source, Buffer target, long targetOffset, long bytes) { cpu().copyIn(source, target, targetOffset, bytes); }

    @Override
    public void copyOut(Buffer source, long sourceOffset, MemorySegment target, long bytes) { cpu().copyOut(source, sourceOffset, target, bytes); }

    @Override
    public void copy(Buffer source, long sourceOffset, Buffer target, long targetOffset, long bytes) {
        cpu().copy(source, sourceOffset, target, targetOffset, bytes);
    }

    @Override
    public void fill(Buffer target, long offset, long bytes, byte value) { cpu().fill(target, offset, bytes, value); }

    @Override
    public String target(int device) { return "ptxcheck"; }

    /** Runs ptxas for the targets at once: it is one single-threaded process per target, and the test waits for both. */
    private static final ExecutorService PTXAS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ptxcheck-ptxas");
        t.setDaemon(true);
        return t;
    });

    @Override
    public CompiledKernel compile(KernelIR kernel, LaunchOptions options, int device) {
        List<Future<?>> checks = new ArrayList<>();
        for (int[] t : TARGETS) {
            Target target = Ptxas.target(t[0], t[1]);
            PtxModule m = PtxCodegen.generate(kernel, options, target); // on the caller's thread: a codegen error is the test's
            checks.add(PTXAS.submit(() -> assemble(kernel, target, m)));
        }
        CompiledKernel cpuKernel = cpu().compile(kernel, options, 0); // while ptxas runs
        for (Future<?> check : checks) {
            try {
                check.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof AssertionError a) throw a;
                throw new IllegalStateException("running ptxas: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for ptxas", e);
            }
        }
        return new Checked(cpuKernel);
    }

    /**
     * ptxas's reports by arch and the PTX's SHA-256: test suites compile one kernel at many specializations
     * that print the same PTX (sizes that only the launch sees), and ptxas is most of the ptxcheck
     * run's time on a small machine.
     */
    private static final ConcurrentHashMap<String, Ptxas.Report> REPORTS = new ConcurrentHashMap<>();

    private static Void assemble(KernelIR kernel, Target target, PtxModule m) throws Exception {
        String arch = target.ptx().arch(), key = arch + ":" + java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(m.ptx().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Ptxas.Report r = REPORTS.get(key);
        if (r == null) {
            r = Ptxas.assemble(m.ptx(), arch);
            if (r.ok()) REPORTS.putIfAbsent(key, r);
        }
        if (!r.ok()) {
            throw new AssertionError("ptxas rejected the PTX of " + kernel.name() + " for " + target.ptx().arch() + ":\n" + r.output()
                    + "\n" + numbered(m.ptx()));
        }
        if (Boolean.getBoolean("tessera.ptxcheck.dump")) dump(kernel.name() + "_" + ASSEMBLED.size() + "_" + target.ptx().arch(), m.ptx());
        ASSEMBLED.add(new Assembled(kernel.name(), target.ptx().arch(), r.registers(), Math.max(0, r.spillStores()) + Math.max(0, r.spillLoads()),
                Math.max(0, r.stackFrame())));
        return null;
    }

    private record Checked(CompiledKernel cpu) implements CompiledKernel {
        @Override
        public KernelIR ir() { return cpu.ir(); }

        @Override
        public Map<String, String> artifacts() { return cpu.artifacts(); }
    }

    @Override
    public void launch(CompiledKernel kernel, int[] grid, long[] args, int device) { cpu().launch(((Checked) kernel).cpu(), grid, args, 0); }

    @Override
    public void synchronize(int device) { cpu().synchronize(0); }

    private static void dump(String name, String ptx) {
        try {
            java.nio.file.Path dir = java.nio.file.Path.of("target", "ptxcheck");
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Files.writeString(dir.resolve(name + ".ptx"), ptx);
        } catch (java.io.IOException e) {
            // only a convenience
        }
    }

    private static String numbered(String text) {
        String[] lines = text.split("\n");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) sb.append(i + 1).append(": ").append(lines[i]).append('\n');
        return sb.toString();
    }
}
