package dev.tessera.cuda.testing;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Prints each test's outcome as it finishes, when {@code TESSERA_PROGRESS} is set: the JUnit
 * console prints its tree only at the end, so a run cut off by a time limit would otherwise leave
 * nothing behind. Registered through META-INF/services for the JUnit Platform launcher.
 */
public final class ProgressListener implements TestExecutionListener {
    private static final boolean ON = System.getenv("TESSERA_PROGRESS") != null;
    private final java.util.Map<String, Long> started = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public void executionStarted(TestIdentifier id) {
        if (ON && id.isTest()) started.put(id.getUniqueId(), System.nanoTime());
    }

    @Override
    public void executionSkipped(TestIdentifier id, String reason) {
        if (ON && id.isTest()) print("SKIP", id, 0, reason);
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        if (!ON || !id.isTest()) return;
        Long t0 = started.remove(id.getUniqueId());
        long ms = t0 == null ? 0 : (System.nanoTime() - t0) / 1_000_000;
        String why = result.getThrowable().map(t -> String.valueOf(t.getMessage())).orElse("");
        String status = switch (result.getStatus()) {
            case SUCCESSFUL -> "PASS";
            case ABORTED -> "SKIP";
            case FAILED -> "FAIL";
        };
        if (status.equals("SKIP")) return; // skips are many and say little
        print(status, id, ms, why);
    }

    private static void print(String status, TestIdentifier id, long ms, String why) {
        String where = id.getUniqueId().replaceAll(".*\\[class:([^\\]]*)\\].*\\[(?:method|test-template):([^(\\]]*).*", "$1.$2");
        String line = "[progress] " + status + " " + where.replaceAll(".*\\.([^.]*\\.[^.]*)$", "$1") + " " + id.getDisplayName() + " " + ms + "ms"
                + (why.isEmpty() ? "" : " :: " + why.replace('\n', ' ').substring(0, Math.min(300, why.length())));
        synchronized (System.err) {
            System.err.println(line);
            System.err.flush();
        }
    }
}
