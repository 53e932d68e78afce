package dev.tessera.autotune;

import dev.tessera.runtime.JitKernel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * What makes tuning results stale: the compiler's version and the kernel's code. Tuning results
 * are only reused by the same compiler (Tessera's version plus a hash of the code of tessera-core,
 * of the device's backend and of the autotuner, so a rebuilt compiler never trusts old timings) on an unchanged
 * kernel (a hash of the class file that declares it).
 */
public final class Fingerprints {

    private Fingerprints() {}

    private static final ConcurrentHashMap<String, String> CODE = new ConcurrentHashMap<>();

    /** The Tessera release, e.g. {@code "0.1.0"}. */
    public static final String TESSERA_VERSION = "0.1.0";

    /**
     * The compiler version that tuning results are keyed by: {@code "0.1.0+<hash>"} where the hash
     * covers tessera-core's code and that of {@code backendClass} (the device's backend).
     */
    public static String compilerVersion(Class<?> backendClass) {
        String core = codeHash(JitKernel.class);
        String backend = backendClass == null ? "" : codeHash(backendClass);
        String tuner = codeHash(Autotuner.class);   // how configs are timed is part of what a result means
        return TESSERA_VERSION + "+" + sha256(core + "/" + backend + "/" + tuner).substring(0, 16);
    }

    /** A hash of the class file of {@code owner} (the class that declares a kernel). */
    public static String classHash(Class<?> owner) {
        String resource = owner.getName().replace('.', '/') + ".class";
        ClassLoader loader = owner.getClassLoader() != null ? owner.getClassLoader() : ClassLoader.getSystemClassLoader();
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) return "unknown";
            return sha256(in.readAllBytes()).substring(0, 16);
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * A hash of the code that {@code c} was loaded from: the bytes of its jar, or of every file in
     * its classes directory; computed once per location per process.
     */
    public static String codeHash(Class<?> c) {
        var source = c.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) return "builtin";
        String location = source.getLocation().toString();
        return CODE.computeIfAbsent(location, loc -> {
            try {
                Path p = Path.of(source.getLocation().toURI());
                return Files.isDirectory(p) ? directoryHash(p) : sha256(Files.readAllBytes(p));
            } catch (URISyntaxException | IOException | RuntimeException e) {
                return "unhashable:" + loc;
            }
        });
    }

    private static String directoryHash(Path dir) throws IOException {
        MessageDigest md = digest();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            md.update(dir.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            try {
                md.update(Files.readAllBytes(f));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(String text) { return sha256(text.getBytes(StandardCharsets.UTF_8)); }

    static String sha256(byte[] bytes) { return HexFormat.of().formatHex(digest().digest(bytes)); }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
