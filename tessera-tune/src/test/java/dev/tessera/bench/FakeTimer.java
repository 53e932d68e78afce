package dev.tessera.bench;

/**
 * A timer over a virtual clock that test work advances explicitly, so that Bench's counting logic
 * can be checked exactly, with no dependence on real time.
 */
final class FakeTimer implements DeviceTimer {
    double nowMs;
    int flushes, synchronizes, eventSets, closedEventSets;

    void advance(double ms) {
        nowMs += ms;
    }

    @Override public String deviceName() { return "fake device"; }

    @Override
    public TimingEvents events(int count) {
        eventSets++;
        double[] starts = new double[count], stops = new double[count];
        return new TimingEvents() {
            @Override public int capacity() { return count; }
            @Override public void start(int i) { starts[i] = nowMs; }
            @Override public void stop(int i) { stops[i] = nowMs; }
            @Override public double elapsedMs(int i) { return stops[i] - starts[i]; }
            @Override public void close() { closedEventSets++; }
        };
    }

    @Override public void synchronize() { synchronizes++; }

    @Override public void flushCache() { flushes++; }
}
