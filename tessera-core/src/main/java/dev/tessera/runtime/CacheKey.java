package dev.tessera.runtime;

import dev.tessera.backend.Backend;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Printer;
import dev.tessera.trace.ArgSpec;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The disk cache key of one specialization: a SHA-256 over everything that changes the compiled
 * code (DESIGN §4): the compiler (a version constant, the jar's implementation version, and a
 * digest of the compiler's and the backend's class files, so a rebuilt compiler never reads entries
 * of an older one), the kernel's qualified name, its traced IR printed without source locations,
 * the argument specializations, the constexpr values, the launch options, and the backend's target.
 */
final class CacheKey {
    private CacheKey() {}

    /** Bump when compilation changes in a way the class-file digest would not show. */
    static final String COMPILER_VERSION = "tessera-compiler-1";

    private static final Map<String, String> CODE_DIGESTS = new ConcurrentHashMap<>();

    static String of(String kernel, KernelIR traced, List<ArgSpec> args, Map<String, Object> constexprs,
                     LaunchOptions options, Backend backend, int device) {
        StringBuilder s = new StringBuilder("tessera kernel cache key\n");
        s.append("compiler=").append(COMPILER_VERSION).append(' ')
                .append(CacheKey.class.getPackage().getImplementationVersion()).append(' ').append(codeDigest(CacheKey.class)).append('\n');
        s.append("backend=").append(backend.name()).append(' ').append(backend.target(device)).append(' ')
                .append(codeDigest(backend.getClass())).append('\n');
        s.append("kernel=").append(kernel).append('\n');
        s.append("args=").append(args).append('\n');
        // the class too: 2 and 2L (or 2.0f and 2.0) trace alike but are different specializations
        constexprs.forEach((name, value) -> s.append("constexpr ").append(name).append('=')
                .append(value == null ? "null" : value.getClass().getName() + ":" + value).append('\n'));
        s.append("options=").append(options).append('\n');
        s.append("ir=\n").append(Printer.print(traced, false));
        return DiskCache.hex(DiskCache.sha256(s.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /** A digest of the class files (jar or directory) {@code c} was loaded from, computed once per place. */
    static String codeDigest(Class<?> c) {
        CodeSource source = c.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) return "unknown";
        try {
            Path place = Path.of(source.getLocation().toURI());
            return CODE_DIGESTS.computeIfAbsent(place.toString(), p -> digest(place));
        } catch (URISyntaxException | IllegalArgumentException e) {
            return source.getLocation().toString();
        }
    }

    private static String digest(Path place) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            if (Files.isDirectory(place)) {
                try (Stream<Path> files = Files.walk(place)) {
                    for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                        md.update(place.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
                        md.update(Files.readAllBytes(f));
                    }
                }
            } else {
                try (InputStream in = Files.newInputStream(place)) {
                    byte[] buffer = new byte[1 << 16];
                    for (int n; (n = in.read(buffer)) > 0; ) md.update(buffer, 0, n);
                }
            }
            return DiskCache.hex(md.digest());
        } catch (IOException e) {
            return "unreadable " + place; // then only the version strings tell compilers apart
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
