package dev.tessera.lang;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A kernel parameter known at trace time (Triton's {@code tl.constexpr}): block sizes, flags, dtypes.
 * Java {@code if} and {@code for} over it specialize and unroll the kernel; each distinct value
 * compiles a separate specialization.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Constexpr {
    /** The name used to pass it by name (autotuning configs); defaults to the parameter's own name. */
    String value() default "";
}
