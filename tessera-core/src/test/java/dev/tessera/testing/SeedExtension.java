package dev.tessera.testing;

import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Gives each test a seed: random per run unless {@code tessera.seed} is set, then mixed with the
 * test's name so tests differ. A failing test's message gets the seed and how to replay it.
 */
public final class SeedExtension implements ParameterResolver, TestExecutionExceptionHandler {
    private static final long BASE = Long.getLong("tessera.seed", ThreadLocalRandom.current().nextLong(1L << 40));
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SeedExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
        return p.isAnnotated(Seed.class) && (p.getParameter().getType() == long.class);
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext c) {
        long seed = BASE * 0x9E3779B97F4A7C15L + c.getUniqueId().hashCode();
        c.getStore(NS).put("seed", seed);
        return seed;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext c, Throwable t) throws Throwable {
        Long seed = c.getStore(NS).get("seed", Long.class);
        // a skipped test (no such device here) stays skipped
        if (seed == null || t instanceof org.opentest4j.TestAbortedException) throw t;
        AssertionError e = new AssertionError("[seed " + seed + ", replay with -Dtessera.seed=" + BASE + "] " + t.getMessage(), t);
        e.setStackTrace(t.getStackTrace());
        throw e;
    }
}
