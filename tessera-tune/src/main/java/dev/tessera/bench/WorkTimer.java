package dev.tessera.bench;

/**
 * What {@link BenchOptions#defaults()} holds for its timer: {@link Bench#doBench} replaces it, at
 * the work's first call, by the timer of the device the work launched its kernels on. On its own
 * it times nothing.
 */
final class WorkTimer implements DeviceTimer {
    static final WorkTimer INSTANCE = new WorkTimer();

    private WorkTimer() {}

    @Override
    public String deviceName() { return "the device the work launches on"; }

    @Override
    public TimingEvents events(int count) { throw unresolved(); }

    @Override
    public void synchronize() { throw unresolved(); }

    @Override
    public void flushCache() { throw unresolved(); }

    private static IllegalStateException unresolved() {
        return new IllegalStateException("DeviceTimers.ofWork() stands for the timer of the device the work launches on, which only "
                + "Bench.doBench finds; to time by hand, use DeviceTimers.forDevice(\"cuda:0\") or CpuTimer.shared()");
    }
}
