package dev.tessera.cuda.driver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The hand-written test kernels (src/test/resources), given the header for a target. */
final class TestPtx {
    private TestPtx() {}

    /** vector_add, echo_args, empty and smem_probe. */
    static String kernels(PtxTarget target) {
        return target.header() + resource("kernels.ptx");
    }

    /** A module that does not compile: it uses %undeclared_register. */
    static String broken(PtxTarget target) {
        return target.header() + resource("broken.ptx");
    }

    private static String resource(String name) {
        try (InputStream in = TestPtx.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing test resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
