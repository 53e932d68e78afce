package dev.tessera.learn.basics;

import dev.tessera.runtime.Device;
import java.io.PrintStream;
import java.util.List;

/** A runnable lesson of the basics: its number, short name, title, and the code that runs it. */
public record Lesson(int number, String name, String title, Class<?> source, Body body) {

    /** What a lesson runs. {@code quick} asks for small sizes (tests, slow machines). */
    @FunctionalInterface
    public interface Body {
        void run(PrintStream out, Device device, boolean quick);
    }

    public void run(PrintStream out, Device device, boolean quick) { body.run(out, device, quick); }

    /** Every lesson, in order. */
    public static List<Lesson> all() {
        return List.of(
                new Lesson(1, "program-ids", "Program ids: who computes what", Basics01ProgramIds.class, Basics01ProgramIds::run),
                new Lesson(2, "pointers", "Pointers and pointer arithmetic", Basics02Pointers.class, Basics02Pointers::run),
                new Lesson(3, "masks", "Masks for boundaries", Basics03Masks.class, Basics03Masks::run),
                new Lesson(4, "block-ops", "Block operations: broadcast, reduce, dot", Basics04BlockOps.class, Basics04BlockOps::run),
                new Lesson(5, "profiling", "Profiling a kernel: bytes, bandwidth, IR and PTX", Basics05Profiling.class, Basics05Profiling::run));
    }

    /** By number or name. */
    public static Lesson get(String numberOrName) {
        for (Lesson l : all()) if (String.valueOf(l.number()).equals(numberOrName) || l.name().equals(numberOrName)) return l;
        throw new IllegalArgumentException("no lesson '" + numberOrName + "': " + all().stream().map(l -> l.number() + " " + l.name()).toList());
    }
}
