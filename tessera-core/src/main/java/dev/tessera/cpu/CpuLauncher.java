package dev.tessera.cpu;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * Runs a grid of programs: split into a few chunks per core on a dedicated fork-join pool of daemon
 * threads (a launch never keeps the JVM alive), each chunk on one frame. Small grids run on the
 * calling thread. Interrupting the calling thread stops the launch with a {@link
 * dev.tessera.backend.KernelFault}.
 */
final class CpuLauncher {
    private CpuLauncher() {}

    private static final int CORES = Runtime.getRuntime().availableProcessors();
    private static final ForkJoinPool POOL = new ForkJoinPool(CORES, pool -> {
        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("tessera-cpu-" + t.getPoolIndex());
        t.setDaemon(true);
        return t;
    }, null, false);

    static void launch(CpuKernel kernel, int[] grid, long[] args) {
        long total = (long) grid[0] * grid[1] * grid[2];
        if (total == 0) return;
        Launch launch = new Launch(Thread.currentThread());
        AccessRecorder recorder = RecordingRules.INSTALLED.get();
        if (recorder != null) {
            runRecorded(kernel, grid, args, total, recorder, launch);
            return;
        }
        int chunks = (int) Math.min(total, CORES == 1 ? 1 : CORES * 4L);
        if (chunks == 1) {
            runChunk(kernel, grid, args, 0, total, launch);
            return;
        }
        long per = (total + chunks - 1) / chunks;
        RecursiveAction[] tasks = new RecursiveAction[chunks];
        for (int c = 0; c < chunks; c++) {
            long from = c * per, to = Math.min(total, from + per);
            tasks[c] = new RecursiveAction() {
                @Override
                protected void compute() { runChunk(kernel, grid, args, from, to, launch); }
            };
        }
        RecursiveAction all = new RecursiveAction() {
            @Override
            protected void compute() { invokeAll(tasks); }
        };
        // not POOL.invoke: it waits with the caller's interrupt cleared, so workers could not see it
        ForkJoinTask<Void> running = POOL.submit(all);
        try {
            running.get();
        } catch (InterruptedException e) {
            launch.stopped = true;
            Thread.currentThread().interrupt(); // kept for the caller, as the launch's fault reports it
            running.join(); // the workers stop at their next check and throw the fault
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** One launch: the thread that made it, and whether it was stopped while the pool ran it. */
    static final class Launch {
        private final Thread caller;
        volatile boolean stopped;

        Launch(Thread caller) { this.caller = caller; }

        boolean interrupted() { return stopped || caller.isInterrupted(); }
    }

    /** Every program in order on this thread, each recorded if the recorder selects it. */
    private static void runRecorded(CpuKernel kernel, int[] grid, long[] args, long total, AccessRecorder recorder, Launch launch) {
        ExecFrame f = kernel.takeFrame();
        try {
            f.launch = launch;
            f.recorder = recorder;
            kernel.begin(f, args, grid);
            int gx = grid[0], gy = grid[1];
            for (long p = 0; p < total; p++) {
                int x = (int) (p % gx), y = (int) (p / gx % gy), z = (int) (p / gx / gy);
                f.recording = recorder.records(x, y, z);
                kernel.runProgram(f, x, y, z);
            }
        } finally {
            f.recording = false;
            f.recorder = null;
            f.launch = null;
            kernel.returnFrame(f);
        }
    }

    private static void runChunk(CpuKernel kernel, int[] grid, long[] args, long from, long to, Launch launch) {
        if (from >= to) return;
        ExecFrame f = kernel.takeFrame();
        try {
            f.launch = launch;
            kernel.begin(f, args, grid);
            int gx = grid[0], gy = grid[1];
            for (long p = from; p < to; p++) {
                f.stopIfInterrupted(null);
                int x = (int) (p % gx);
                long rest = p / gx;
                kernel.runProgram(f, x, (int) (rest % gy), (int) (rest / gy));
            }
        } finally {
            f.launch = null; // a returned frame keeps no thread alive
            kernel.returnFrame(f);
        }
    }
}
