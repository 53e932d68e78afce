package dev.tessera.cpu;

/** One op, compiled: reads its operands' arrays from the frame and writes its result's. */
@FunctionalInterface
interface Step {
    void run(ExecFrame f);
}
