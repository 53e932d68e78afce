package dev.tessera.kernels.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The providers {@code tessera bench} can time: the built-in {@code tessera} and {@code java}, then
 * every {@link BenchProvider} registered through {@link ServiceLoader} (a GPU module's
 * {@code torch}, {@code triton}, {@code cublas}); a registered provider may not reuse a built-in name.
 */
public final class BenchProviders {
    private BenchProviders() {}

    private static final class Holder {
        static final Map<String, BenchProvider> ALL = load();

        private static Map<String, BenchProvider> load() {
            Map<String, BenchProvider> m = new LinkedHashMap<>();
            for (BenchProvider p : List.of(new TesseraProvider(), new JavaProvider())) m.put(p.name(), p);
            for (BenchProvider p : ServiceLoader.load(BenchProvider.class)) {
                if (m.containsKey(p.name())) continue;   // built-ins win; a duplicate on the class path is ignored
                m.put(p.name(), p);
            }
            return m;
        }
    }

    /** Every provider, built-ins first. */
    public static List<BenchProvider> all() { return new ArrayList<>(Holder.ALL.values()); }

    /** The provider named {@code name}. */
    public static BenchProvider named(String name) {
        BenchProvider p = Holder.ALL.get(name.strip().toLowerCase(Locale.ROOT));
        if (p == null) throw new IllegalArgumentException("no benchmark provider named '" + name + "'; found " + Holder.ALL.keySet());
        return p;
    }

    /** The providers that can run {@code kernel} with these settings (at its first default size). */
    public static List<BenchProvider> supporting(KernelBench kernel, BenchSettings settings) {
        Problem probe = new Problem(kernel, kernel.defaultSizes(settings.device())[0], settings);
        return Holder.ALL.values().stream().filter(p -> p.unsupported(probe) == null).toList();
    }
}
