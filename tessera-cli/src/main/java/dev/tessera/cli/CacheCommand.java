package dev.tessera.cli;

import dev.tessera.bench.TextTable;
import dev.tessera.runtime.DiskCache;
import java.io.IOException;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code tessera cache [size|list|clear]}: the disk cache of compiled kernels. */
@Command(name = "cache", mixinStandardHelpOptions = true, version = Main.VERSION, description = {
        "Show the size of the compiled-kernel cache, list its entries or clear it.",
        "The cache is in $TESSERA_CACHE_DIR, else $XDG_CACHE_HOME/tessera, else ~/.cache/tessera; it is kept to",
        "-Dtessera.cache.max.mb megabytes (default 512), the least recently used entries removed first.",
        "Without a subcommand: its size. Tuning results (under autotune/ there) are not touched."},
        subcommands = {CacheCommand.Size.class, CacheCommand.ListCmd.class, CacheCommand.Clear.class})
final class CacheCommand implements Callable<Integer> {
    @Override
    public Integer call() throws IOException { return new Size().call(); }

    /** The configured cache, or null (after saying so) when it is off. */
    static DiskCache cache() {
        DiskCache c = DiskCache.configured();
        if (c == null) System.out.println("the kernel cache is off (tessera.cache=off or TESSERA_CACHE=off)");
        return c;
    }

    static String megabytes(long bytes) { return String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0); }

    @Command(name = "size", mixinStandardHelpOptions = true, version = Main.VERSION,
            description = "Where the cache is, how many entries it holds and their size.")
    static final class Size implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            DiskCache c = cache();
            if (c == null) return 0;
            List<DiskCache.Entry> entries = c.entries();
            long bytes = entries.stream().mapToLong(DiskCache.Entry::bytes).sum();
            System.out.println(c.directory() + ": " + entries.size() + " compiled kernel" + (entries.size() == 1 ? "" : "s") + ", "
                    + megabytes(bytes) + " of at most " + megabytes(c.maxBytes()));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, version = Main.VERSION,
            description = "Each entry: its kernel, size and when it was last used, least recently used first.")
    static final class ListCmd implements Callable<Integer> {
        private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

        @Override
        public Integer call() throws IOException {
            DiskCache c = cache();
            if (c == null) return 0;
            TextTable t = TextTable.of("kernel", "bytes", "last used", "entry");
            for (DiskCache.Entry e : c.entries()) {
                String kernel = c.kernelName(e);
                t.addRow(kernel != null ? kernel : "(unusable: removed)", Long.toString(e.bytes()), WHEN.format(e.lastUsed()),
                        e.file().getFileName().toString());
            }
            System.out.println(c.directory() + ":");
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "clear", mixinStandardHelpOptions = true, version = Main.VERSION,
            description = "Delete every compiled kernel in the cache (later runs compile them again).")
    static final class Clear implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            DiskCache c = cache();
            if (c == null) return 0;
            int n = c.clear();
            System.out.println("removed " + n + " compiled kernel" + (n == 1 ? "" : "s") + " from " + c.directory());
            return 0;
        }
    }
}
