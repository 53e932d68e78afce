package dev.tessera.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test parameter that receives a fresh random seed (with {@code @ExtendWith(SeedExtension.class)}).
 * Failures name it; {@code -Dtessera.seed=N} replays a run.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Seed {}
