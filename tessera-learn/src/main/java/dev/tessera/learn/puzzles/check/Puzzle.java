package dev.tessera.learn.puzzles.check;

import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A puzzle: its statement, hints, the sizes it is checked at, how its tensors are made and its
 * kernel launched, and a float64 reference. The learner's kernel (the skeleton in
 * {@code dev.tessera.learn.puzzles}) and the reference solution (in {@code ...puzzles.solutions})
 * have the same name and signature; the checker launches either the same way.
 */
public abstract class Puzzle {
    private final int number;
    private final String slug, title, kernelName;
    private final Class<?> skeleton, solution;
    private final Map<Class<?>, JitKernel> kernels = new ConcurrentHashMap<>();

    protected Puzzle(int number, String slug, String title, String kernelName, Class<?> skeleton, Class<?> solution) {
        this.number = number;
        this.slug = slug;
        this.title = title;
        this.kernelName = kernelName;
        this.skeleton = skeleton;
        this.solution = solution;
    }

    public final int number() { return number; }

    /** A short name for files and the command line: "vector-add". */
    public final String slug() { return slug; }

    public final String title() { return title; }

    /** The name of the {@code @Kernel} method in the skeleton and the solution. */
    public final String kernelName() { return kernelName; }

    /** The learner's class. */
    public final Class<?> skeleton() { return skeleton; }

    public final Class<?> solution() { return solution; }

    /** The kernel of {@code owner} (the skeleton, the solution, or a test's variant), compiled once per specialization. */
    public final JitKernel kernel(Class<?> owner) { return kernels.computeIfAbsent(owner, c -> Jit.kernel(c, kernelName)); }

    /** The statement: what to compute (formula, shapes, launch grid). */
    public abstract String statement();

    /** Hints, from gentle to nearly the answer. */
    public abstract List<String> hints();

    /** The sizes {@code check} runs, edge sizes included. */
    public abstract List<Size> sizes();

    /** A small size for pictures of which elements each program touches. */
    public abstract Size pictureSize();

    /** Makes the problem's tensors (inputs then outputs). */
    public abstract void setUp(Problem p);

    /** Launches {@code kernel} on the problem's tensors. */
    public abstract void launch(JitKernel kernel, Problem p);

    /** Fills {@code p.expected(...)} for every output, in float64 from {@code p.in(...)}. */
    public abstract void reference(Problem p);

    /** Elementwise tolerance: |got - expected| <= atol + rtol * |expected|. */
    public double atol(Problem p) { return 1e-5; }

    public double rtol(Problem p) { return 1e-4; }

    /** The skeleton's source file, relative to the repository root. */
    public final String skeletonPath() { return sourcePath(skeleton); }

    public final String solutionPath() { return sourcePath(solution); }

    public static String sourcePath(Class<?> c) {
        String module = c.getName().startsWith("dev.tessera.learn.") ? "tessera-learn" : "?";
        return module + "/src/main/java/" + c.getName().replace('.', '/') + ".java";
    }

    @Override
    public String toString() { return String.format("%2d %s", number, title); }
}
