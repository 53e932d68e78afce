package dev.tessera.lang;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a static method as a Tessera kernel. Its {@link Tile} parameters are runtime arguments
 * (tensors become pointers, Java numbers become scalars); its {@link Constexpr} parameters are plain
 * Java values fixed at trace time. The body runs once per specialization, on symbolic tiles, to
 * record the kernel; it never runs on data.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Kernel {}
