package dev.tessera.bench;

import java.io.PrintStream;

/** Progress as one plain line per step ({@code task [3/16] N=1024 tessera}), safe for logs and pipes. */
final class LineProgress implements Progress {

    private final String task;
    private final int total;
    private final PrintStream out;
    private int done;

    LineProgress(String task, int total, PrintStream out) {
        this.task = task;
        this.total = total;
        this.out = out;
    }

    @Override
    public void step(String message) {
        done++;
        String width = String.valueOf(total);
        out.printf("%s [%" + width.length() + "d/%s] %s%n", task, done, width, message);
        out.flush();
    }

    @Override
    public void close() {}
}
