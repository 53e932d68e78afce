package dev.tessera.learn.visualize;

import dev.tessera.cpu.AccessRecorder;
import dev.tessera.cpu.AccessRecorder.Access;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which elements of which tensor each program of one launch touched: the puzzle's kernel run on the
 * CPU with an {@link AccessRecorder} installed. Out-of-bounds lanes are recorded (not fatal), so a
 * kernel with a missing mask can still be drawn.
 */
public final class Recording {
    /** Draw at most this many programs (the rest run unrecorded). */
    public static final int MAX_PROGRAMS = 1024;

    /**
     * A tensor as drawn: its name, the shape of its whole allocation, and the part of it that is the
     * puzzle's tensor (rows and columns past {@code viewCols} are a padded input's padding).
     */
    public record TensorInfo(String name, String dtype, long[] shape, long[] viewShape, boolean output, long bufferAddress,
                             int elementBytes) {
        public long numel() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }

        /** Whether element e of the allocation lies outside the puzzle's view (padding). */
        public boolean isPadding(long e) {
            if (shape.length < 2 || viewShape[viewShape.length - 1] == shape[shape.length - 1]) return false;
            return e % shape[shape.length - 1] >= viewShape[viewShape.length - 1];
        }
    }

    /** One lane of one access of a program, resolved to a tensor ({@code tensor} is -1 for an unknown buffer). */
    public record Touch(int tensor, long element, AccessRecorder.Kind kind, boolean masked, boolean outOfBounds, int lane,
                        String site) {}

    /** A program's id and what it touched. */
    public record Program(int x, int y, int z, List<Touch> touches) {
        public String id() { return "(" + x + ", " + y + ", " + z + ")"; }
    }

    private final Puzzle puzzle;
    private final Size size;
    private final List<TensorInfo> tensors;
    private final List<Program> programs;
    private final String problem; // why nothing (or not everything) could be drawn; null when all went well

    private Recording(Puzzle puzzle, Size size, List<TensorInfo> tensors, List<Program> programs, String problem) {
        this.puzzle = puzzle;
        this.size = size;
        this.tensors = tensors;
        this.programs = programs;
        this.problem = problem;
    }

    public Puzzle puzzle() { return puzzle; }

    public Size size() { return size; }

    public List<TensorInfo> tensors() { return tensors; }

    public List<Program> programs() { return programs; }

    /** Why the launch did not complete (not solved yet, a trace error, ...), or null. */
    public String problem() { return problem; }

    /** The index of the program with this id in launch order, or -1. */
    public int indexOf(int x, int y, int z) {
        for (int i = 0; i < programs.size(); i++) {
            Program p = programs.get(i);
            if (p.x == x && p.y == y && p.z == z) return i;
        }
        return -1;
    }

    /** Runs {@code implementation}'s kernel for {@code puzzle} at {@code size} on the CPU and records every program. */
    public static Recording record(Puzzle puzzle, Class<?> implementation, Size size, long seed) {
        try (Problem p = new Problem(size, Device.cpu(), seed)) {
            puzzle.setUp(p);
            List<TensorInfo> tensors = new ArrayList<>();
            for (Problem.Entry e : p.entries()) {
                Tensor base = e.base();
                tensors.add(new TensorInfo(e.name(), base.dtype().toString(), base.shape(), e.tensor().shape(), e.output(),
                        base.buffer().address(), base.dtype().byteSize()));
            }
            Map<Long, Program> byPid = new LinkedHashMap<>();
            AccessRecorder recorder = new AccessRecorder() {
                @Override
                public boolean records(int x, int y, int z) {
                    long key = key(x, y, z);
                    if (byPid.containsKey(key)) return true;
                    if (byPid.size() >= MAX_PROGRAMS) return false;
                    byPid.put(key, new Program(x, y, z, new ArrayList<>()));
                    return true;
                }

                @Override
                public void record(Access a) {
                    Program prog = byPid.get(key(a.pidX(), a.pidY(), a.pidZ()));
                    int t = -1;
                    for (int i = 0; i < tensors.size(); i++) if (tensors.get(i).bufferAddress() == a.bufferAddress()) t = i;
                    prog.touches().add(new Touch(t, a.element(), a.kind(), a.masked(), a.outOfBounds(), a.lane(),
                            a.loc().file() + ":" + a.loc().line()));
                }
            };
            String problem = null;
            try (var scope = AccessRecorder.install(recorder)) {
                puzzle.launch(puzzle.kernel(implementation), p);
            } catch (RuntimeException e) {
                problem = Failures.describe(e);
            }
            return new Recording(puzzle, size, tensors, new ArrayList<>(byPid.values()), problem);
        }
    }

    private static long key(int x, int y, int z) { return ((long) z << 42) | ((long) y << 21) | x; }
}
