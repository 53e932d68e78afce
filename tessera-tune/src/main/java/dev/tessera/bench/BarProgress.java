package dev.tessera.bench;

import java.io.PrintStream;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress as a redrawing bar (the progressbar library); only for interactive terminals. */
final class BarProgress implements Progress {

    private final ProgressBar bar;

    BarProgress(String task, int total, PrintStream out) {
        bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(out))
                .setUpdateIntervalMillis(200)
                .continuousUpdate()
                .build();
    }

    @Override
    public void step(String message) {
        bar.setExtraMessage(message);
        bar.step();
    }

    @Override
    public void close() {
        bar.close();
    }
}
