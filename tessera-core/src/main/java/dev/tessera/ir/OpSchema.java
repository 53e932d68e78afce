package dev.tessera.ir;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * The role of each component of an op record (see {@link Op} for the naming convention), read once
 * per op class. Passes use it to walk and rebuild ops without a switch over every op kind.
 */
public final class OpSchema {
    private static final Map<Class<?>, OpSchema> CACHE = new ConcurrentHashMap<>();

    enum Role { RESULT, RESULTS, OPERAND, OPERANDS, REGION, LOC, ATTRIBUTE }

    record Component(String name, Role role, Class<?> type, MethodHandle getter) {}

    private final String mnemonic;
    private final List<Component> components;
    private final MethodHandle constructor;

    private OpSchema(Class<?> opClass) {
        try {
            var lookup = MethodHandles.lookup();
            RecordComponent[] rcs = opClass.getRecordComponents();
            List<Component> list = new ArrayList<>();
            Class<?>[] types = new Class<?>[rcs.length];
            for (int i = 0; i < rcs.length; i++) {
                RecordComponent rc = rcs[i];
                types[i] = rc.getType();
                list.add(new Component(rc.getName(), roleOf(rc), rc.getType(), lookup.unreflect(rc.getAccessor())));
            }
            this.components = List.copyOf(list);
            this.constructor = lookup.findConstructor(opClass, MethodType.methodType(void.class, types))
                    .asSpreader(Object[].class, types.length);
            this.mnemonic = snakeCase(opClass.getSimpleName());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("op class " + opClass + " does not follow the op convention", e);
        }
    }

    public static OpSchema of(Class<?> opClass) { return CACHE.computeIfAbsent(opClass, OpSchema::new); }

    private static Role roleOf(RecordComponent rc) {
        Class<?> t = rc.getType();
        boolean valueList = t == List.class && rc.getGenericType() instanceof ParameterizedType p
                && p.getActualTypeArguments()[0] == Value.class;
        return switch (rc.getName()) {
            case "result" -> Role.RESULT;
            case "results" -> Role.RESULTS;
            case "loc" -> Role.LOC;
            default -> t == Value.class ? Role.OPERAND
                    : valueList ? Role.OPERANDS
                    : t == Region.class ? Role.REGION
                    : Role.ATTRIBUTE;
        };
    }

    private static String snakeCase(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    /** The op's name in printed IR ("program_id", "atomic_rmw", ...). */
    public String mnemonic() { return mnemonic; }

    List<Component> components() { return components; }

    private Object get(Component c, Op op) {
        try {
            return c.getter.invoke(op);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @SuppressWarnings("unchecked")
    List<Value> results(Op op) {
        List<Value> out = new ArrayList<>(1);
        for (Component c : components) {
            if (c.role == Role.RESULT) out.add((Value) get(c, op));
            else if (c.role == Role.RESULTS) out.addAll((List<Value>) get(c, op));
        }
        return out;
    }

    /** The operands in component order, skipping absent optional ones. */
    @SuppressWarnings("unchecked")
    List<Value> operands(Op op) {
        List<Value> out = new ArrayList<>(4);
        for (Component c : components) {
            if (c.role == Role.OPERAND) {
                Value v = (Value) get(c, op);
                if (v != null) out.add(v);
            } else if (c.role == Role.OPERANDS) {
                out.addAll((List<Value>) get(c, op));
            }
        }
        return out;
    }

    List<Region> regions(Op op) {
        List<Region> out = new ArrayList<>(1);
        for (Component c : components) {
            if (c.role == Role.REGION) {
                Region r = (Region) get(c, op);
                if (r != null) out.add(r);
            }
        }
        return out;
    }

    /** The attributes by component name, in declaration order. */
    public Map<String, Object> attributes(Op op) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Component c : components) if (c.role == Role.ATTRIBUTE) out.put(c.name, get(c, op));
        return out;
    }

    @SuppressWarnings("unchecked")
    Op mapOperands(Op op, UnaryOperator<Value> f) {
        return rebuild(op, (c, v) -> switch (c.role) {
            case OPERAND -> v == null ? null : f.apply((Value) v);
            case OPERANDS -> ((List<Value>) v).stream().map(f).toList();
            default -> v;
        });
    }

    Op mapRegions(Op op, UnaryOperator<Region> f) {
        return rebuild(op, (c, v) -> c.role == Role.REGION && v != null ? f.apply((Region) v) : v);
    }

    /**
     * A structural key of the op without its results and location: two pure ops with equal keys
     * compute the same value (used by CSE).
     */
    public List<Object> key(Op op) {
        List<Object> key = new ArrayList<>();
        key.add(op.getClass());
        for (Component c : components) {
            if (c.role != Role.RESULT && c.role != Role.RESULTS && c.role != Role.LOC) key.add(get(c, op));
        }
        for (Value r : results(op)) key.add(r.type());
        return key;
    }

    Op withLoc(Op op, Loc loc) { return rebuild(op, (c, v) -> c.role == Role.LOC ? loc : v); }

    private Op rebuild(Op op, java.util.function.BiFunction<Component, Object, Object> f) {
        Object[] args = new Object[components.size()];
        for (int i = 0; i < args.length; i++) {
            Component c = components.get(i);
            args[i] = f.apply(c, get(c, op));
        }
        return construct(args);
    }

    /** A new op from its component values in declaration order (for the parser). */
    Op construct(Object[] args) {
        try {
            return (Op) constructor.invoke(args);
        } catch (Throwable t) {
            throw new IllegalStateException("constructing " + mnemonic + " " + Arrays.toString(args), t);
        }
    }
}
