package dev.tessera.ir;

import java.util.List;
import java.util.Map;

/**
 * A traced kernel: its runtime parameters (the arguments of its body region, in order) and its body.
 *
 * @param name      the kernel's name (the Java method's)
 * @param params    one per runtime (non-constexpr) parameter, in launch order
 * @param body      the ops; its arguments are the parameters' values
 * @param constants the constexpr values it was specialized for, for printing
 */
public record KernelIR(String name, List<Param> params, Region body, Map<String, Object> constants) {
    public KernelIR {
        params = List.copyOf(params);
        constants = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(constants));
    }

    /**
     * A runtime parameter.
     *
     * @param divisibility what the launch guaranteed: for a pointer, the byte alignment of its
     *                     address (16 or 1); for an integer, a divisor of its value (16 or 1)
     */
    public record Param(String name, Value value, int divisibility) {}

    public KernelIR withBody(Region newBody) { return new KernelIR(name, params, newBody, constants); }

    @Override
    public String toString() { return Printer.print(this); }
}
