package dev.tessera.cli;

import dev.tessera.bench.TextTable;
import dev.tessera.learn.patterns.MatmulPatterns;
import dev.tessera.learn.patterns.Pattern;
import dev.tessera.learn.patterns.SoftmaxPatterns;
import dev.tessera.runtime.Device;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tessera patterns [NAME]}: the performance patterns, measured. */
@Command(name = "patterns", mixinStandardHelpOptions = true, version = Main.VERSION, description = {"Performance patterns, measured on this machine: softmax (fusion), matmul (grouped order, autotuning).",
        "Without a name: the list. `all` runs them all."})
final class PatternsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", arity = "0..1", description = "softmax, matmul or all")
    String name;

    @Option(names = "--quick", description = "small sizes and few repetitions (a smoke test)")
    boolean quick;

    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: the best device present)")
    String device;

    @Option(names = "--rows", description = "softmax: rows (M)")
    Integer rows;

    @Option(names = "--cols", description = "softmax: columns (N)")
    Integer cols;

    @Option(names = "--size", description = "matmul: M = N = K")
    Integer size;

    @Override
    public Integer call() {
        if (name == null) {
            System.out.println("Tessera patterns (tessera-learn/src/main/java/dev/tessera/learn/patterns/, README.md there):");
            TextTable t = TextTable.of("name", "what it shows", "run");
            for (Pattern p : Pattern.all()) t.addRow(p.name(), p.title(), "tessera patterns " + p.name());
            t.print(System.out);
            return 0;
        }
        Device d = device == null ? Device.defaultDevice() : Device.parse(device).require();
        List<Pattern> which = name.equals("all") ? Pattern.all() : List.of(Pattern.get(name));
        boolean ok = true;
        for (Pattern p : which) {
            System.out.println("==== " + p.title() + "\n");
            if (p.name().equals("softmax") && (rows != null || cols != null)) {
                ok &= SoftmaxPatterns.run(System.out, d, rows != null ? rows : 2048, cols != null ? cols : 1024, quick);
            } else if (p.name().equals("matmul") && size != null) {
                ok &= MatmulPatterns.run(System.out, d, size, quick);
            } else {
                ok &= p.run(System.out, d, quick);
            }
            System.out.println();
        }
        return ok ? 0 : 1;
    }
}
