package dev.tessera.cli;

import dev.tessera.bench.TextTable;
import dev.tessera.runtime.Device;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the kernel gallery on a device and checks every result against a float64 reference. */
@Command(name = "demo", mixinStandardHelpOptions = true, version = Main.VERSION, description = {
        "Run a gallery of kernels written in Tessera and check each against a float64 reference.",
        "The kernels (vector add, fused softmax, layer norm, matmul) run on the best device present;",
        "a table shows each one's error, time and throughput."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: the best device present)")
    String device;

    @Option(names = "--seed", description = "seed of the random inputs (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--small", description = "smaller shapes, for a quick check")
    boolean small;

    @Override
    public Integer call() {
        Device d = device == null ? Device.defaultDevice() : Device.parse(device).require();
        System.out.println("Tessera demo on " + d + " (" + d.info().name() + "), seed " + seed);
        TextTable table = TextTable.of("kernel", "shape", "dtype", "max |error|", "tolerance", "result", "time (ms)", "throughput");
        boolean allPass = true;
        for (Gallery.Case c : Gallery.cases(small)) {
            if (System.console() != null) System.err.print("  running " + c.name() + " " + c.shape() + " ...\r");
            Gallery.Outcome o = c.run(d, seed);
            allPass &= o.pass();
            table.addRow(c.name(), c.shape(), c.dtype(), String.format("%.3g", o.maxError()), String.format("%.1g", o.tolerance()),
                    o.pass() ? "pass" : "FAIL", String.format("%.3f", o.ms()), o.throughput());
        }
        if (System.console() != null) System.err.print(" ".repeat(60) + "\r");
        table.print(System.out);
        System.out.println(allPass ? "all kernels match their float64 references" : "SOME KERNELS FAILED");
        return allPass ? 0 : 1;
    }

    static List<String> names() { return Gallery.cases(true).stream().map(Gallery.Case::name).toList(); }
}
