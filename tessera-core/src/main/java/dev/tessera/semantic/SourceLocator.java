package dev.tessera.semantic;

import dev.tessera.ir.Loc;
import java.security.CodeSource;
import java.util.Objects;
import java.util.Set;

/**
 * Finds the user's source line of the op being traced (or of a launch): the innermost stack frame
 * outside Tessera's own machinery in this library and outside the JDK. Library kernels and user
 * helper methods count as user code.
 */
public final class SourceLocator {
    private static final StackWalker WALKER = StackWalker.getInstance(Set.of(StackWalker.Option.RETAIN_CLASS_REFERENCE), 16);
    private static final CodeSource TESSERA = SourceLocator.class.getProtectionDomain().getCodeSource();

    private static final ClassValue<Boolean> IS_MACHINERY = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> c) {
            String n = c.getName();
            if (n.startsWith("java.") || n.startsWith("jdk.") || n.startsWith("sun.")) return true;
            boolean tracingPackage = n.startsWith("dev.tessera.lang.") || n.startsWith("dev.tessera.semantic.")
                    || n.startsWith("dev.tessera.trace.") || n.startsWith("dev.tessera.runtime.")
                    || n.startsWith("dev.tessera.ir.") || n.startsWith("dev.tessera.passes.")
                    || n.startsWith("dev.tessera.backend.") || n.startsWith("dev.tessera.cpu.");
            return tracingPackage && Objects.equals(c.getProtectionDomain().getCodeSource(), TESSERA);
        }
    };

    private SourceLocator() {}

    /** Whether frames of this class are Tessera's own machinery or the JDK's (not the user's code). */
    public static boolean isMachinery(Class<?> c) { return IS_MACHINERY.get(c); }

    /** The innermost frame of user code on this thread's stack. */
    public static Loc find() {
        return WALKER.walk(frames -> frames
                .filter(f -> !IS_MACHINERY.get(f.getDeclaringClass()))
                .findFirst()
                .map(f -> new Loc(f.getFileName() == null ? f.getClassName() : f.getFileName(),
                        f.getLineNumber(), f.getMethodName()))
                .orElse(Loc.UNKNOWN));
    }
}
