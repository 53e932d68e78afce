package dev.tessera.trace;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A {@code @Kernel} method and its parameters, checked once. */
public final class KernelMethod {

    /** A kernel parameter: a runtime tile or tensor descriptor, or a constexpr of some Java type. */
    public record Param(String name, boolean isConstexpr, Class<?> javaType) {}

    private final Method method;
    private final List<Param> params;

    private KernelMethod(Method method, List<Param> params) {
        this.method = method;
        this.params = List.copyOf(params);
    }

    /** The static method {@code name} of {@code owner}, which must be a well-formed kernel. */
    public static KernelMethod of(Class<?> owner, String name) {
        List<Method> candidates = Arrays.stream(owner.getDeclaredMethods()).filter(m -> m.getName().equals(name)).toList();
        if (candidates.isEmpty()) {
            List<String> kernels = Arrays.stream(owner.getDeclaredMethods()).filter(m -> m.isAnnotationPresent(Kernel.class))
                    .map(Method::getName).distinct().sorted().toList();
            String closest = kernels.stream().min(java.util.Comparator.comparingInt(k -> editDistance(k.toLowerCase(), name.toLowerCase())))
                    .orElse(null);
            throw new IllegalArgumentException(owner.getName() + " has no method named '" + name + "'"
                    + (closest != null && editDistance(closest.toLowerCase(), name.toLowerCase()) <= Math.max(2, name.length() / 3)
                            ? "; did you mean '" + closest + "'?" : "")
                    + (kernels.isEmpty() ? " (it has no @Kernel methods)" : " (its @Kernel methods: " + String.join(", ", kernels) + ")"));
        }
        List<Method> kernels = candidates.stream().filter(m -> m.isAnnotationPresent(Kernel.class)).toList();
        if (kernels.size() != 1) {
            throw new IllegalArgumentException(kernels.isEmpty()
                    ? owner.getSimpleName() + "." + name + " is not annotated @Kernel"
                    : owner.getSimpleName() + "." + name + " is overloaded; kernels need unique names");
        }
        return of(kernels.getFirst());
    }

    /** Levenshtein distance, for suggesting the kernel a typo meant. */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    public static KernelMethod of(Method method) {
        String where = method.getDeclaringClass().getSimpleName() + "." + method.getName();
        if (!Modifier.isStatic(method.getModifiers())) throw new IllegalArgumentException(where + " must be static to be a kernel");
        if (method.getReturnType() != void.class) throw new IllegalArgumentException(where + " must return void: kernels write results through pointers");
        method.setAccessible(true);
        List<Param> params = new ArrayList<>();
        for (Parameter p : method.getParameters()) {
            Constexpr c = p.getAnnotation(Constexpr.class);
            String name = c != null && !c.value().isEmpty() ? c.value() : p.getName();
            if (p.getType() == Tile.class || p.getType() == TensorDesc.class) {
                if (c != null) {
                    throw new IllegalArgumentException(where + ": parameter " + name + " is a " + p.getType().getSimpleName()
                            + " and cannot be @Constexpr");
                }
                params.add(new Param(name, false, p.getType()));
            } else if (c != null) {
                params.add(new Param(name, true, p.getType()));
            } else {
                throw new IllegalArgumentException(where + ": parameter " + name + " of type " + p.getType().getSimpleName()
                        + " must be a Tile (a runtime argument), a TensorDesc (a tensor descriptor) or marked @Constexpr (a trace-time value)");
            }
        }
        return new KernelMethod(method, params);
    }

    public Method method() { return method; }

    public String name() { return method.getName(); }

    /** "VectorAdd.add", for messages and cache keys. */
    public String qualifiedName() { return method.getDeclaringClass().getName() + "." + method.getName(); }

    public List<Param> params() { return params; }

    public List<Param> runtimeParams() { return params.stream().filter(p -> !p.isConstexpr()).toList(); }

    public List<Param> constexprParams() { return params.stream().filter(Param::isConstexpr).toList(); }
}
