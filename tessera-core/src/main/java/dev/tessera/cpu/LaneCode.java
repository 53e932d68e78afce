package dev.tessera.cpu;

import static java.lang.constant.ConstantDescs.*;

import dev.tessera.ir.Op;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.util.List;
import java.util.function.Consumer;

/**
 * The bytecode of one lane of each elementwise op a fused loop computes: which operands to push,
 * then the instructions that leave the result on the stack, in the storage's Java type (i1 as an
 * int 0 or 1). Every recipe follows the op's unfused rule exactly, rounding narrow floats and
 * wrapping narrow integers after each op as {@link NarrowTypes} does; what is more than an
 * instruction is a call to {@link LaneOps} or to the rule's own helper.
 */
final class LaneCode {
    private LaneCode() {}

    /** The operands to push, in order, and what then computes the result from them. */
    record Recipe(List<Value> operands, Consumer<CodeBuilder> apply) {}

    static final ClassDesc LANE_OPS = desc(LaneOps.class),
            ELEMENTWISE = desc(ElementwiseRules.class), MATH_RULES = desc(MathRules.class), NUMERICS = desc(Numerics.class),
            DTYPE = desc(DType.class), ROUNDING = desc(Numerics.Rounding.class), UNARY_FN = desc(Op.Unary.Fn.class),
            MATH = desc(Math.class), INTEGER = desc(Integer.class), LONG = desc(Long.class), FLOAT = desc(Float.class),
            DOUBLE = desc(Double.class), MEMORY_SEGMENT = desc(java.lang.foreign.MemorySegment.class);

    static ClassDesc desc(Class<?> c) { return c.describeConstable().orElseThrow(); }

    /** The Java type a value of this storage is computed in. */
    static ClassDesc javaType(Storage s) {
        return switch (s) {
            case BOOL -> CD_boolean;
            case INT -> CD_int;
            case LONG -> CD_long;
            case FLOAT -> CD_float;
            case DOUBLE -> CD_double;
        };
    }

    /** The kind of a storage's array elements (i1: boolean, read and written as bytes). */
    static TypeKind kind(Storage s) {
        return switch (s) {
            case BOOL -> TypeKind.BOOLEAN;
            case INT -> TypeKind.INT;
            case LONG -> TypeKind.LONG;
            case FLOAT -> TypeKind.FLOAT;
            case DOUBLE -> TypeKind.DOUBLE;
        };
    }

    /** The recipe of an elementwise op, or null when fused loops do not compute it (its unfused step runs instead). */
    static Recipe of(Op op) {
        Consumer<CodeBuilder> apply = switch (op) {
            case Op.Binary b -> normalized(binary(b.fn(), b.result().type()), b.result().type());
            case Op.Unary u -> normalized(unary(u.fn(), u.result().type()), u.result().type());
            case Op.Compare c -> compare(c.fn(), c.lhs().type());
            case Op.Select s -> select(s.result().type());
            case Op.Fma f -> normalized(fma(f.result().type()), f.result().type());
            case Op.Convert c -> convert(c);
            case Op.PtrAdd p -> ptrAdd(p);
            default -> null;
        };
        return apply == null ? null : new Recipe(op.operands(), apply);
    }

    private static Storage storage(Type t) { return Storage.of(t); }

    private static MethodTypeDesc mt(ClassDesc ret, ClassDesc... params) { return MethodTypeDesc.of(ret, params); }

    private static Consumer<CodeBuilder> call(ClassDesc owner, String name, ClassDesc ret, ClassDesc... params) {
        return b -> b.invokestatic(owner, name, mt(ret, params));
    }

    private static Consumer<CodeBuilder> pushEnum(ClassDesc owner, Enum<?> e) { return b -> b.getstatic(owner, e.name(), owner); }

    private static Consumer<CodeBuilder> normalized(Consumer<CodeBuilder> core, Type t) {
        if (core == null || t.isPointer()) return core;
        Consumer<CodeBuilder> round = switch (t.dtype()) {
            case F16 -> call(LANE_OPS, "roundF16", CD_float, CD_float);
            case BF16 -> call(NUMERICS, "roundBf16", CD_float, CD_float);
            case FP8E4M3, FP8E5M2 -> pushEnum(DTYPE, t.dtype()).andThen(call(LANE_OPS, "roundFloat", CD_float, CD_float, DTYPE));
            case I8 -> CodeBuilder::i2b;
            case U8 -> b -> b.loadConstant(0xFF).iand();
            case I16 -> CodeBuilder::i2s;
            case U16 -> b -> b.loadConstant(0xFFFF).iand();
            default -> null;
        };
        return round == null ? core : core.andThen(round);
    }

    // ------------------------------------------------------------------ ElementwiseRules.binary

    private static Consumer<CodeBuilder> binary(Op.Binary.Fn fn, Type type) {
        if (type.isPointer()) return null;
        DType t = type.dtype();
        return switch (storage(type)) {
            case FLOAT -> switch (fn) {
                case ADD -> CodeBuilder::fadd;
                case SUB -> CodeBuilder::fsub;
                case MUL -> CodeBuilder::fmul;
                case DIV, DIV_RN -> CodeBuilder::fdiv;
                case REM -> CodeBuilder::frem;
                case MAX -> call(ELEMENTWISE, "fmax", CD_float, CD_float, CD_float);
                case MIN -> call(ELEMENTWISE, "fmin", CD_float, CD_float, CD_float);
                case MAX_NAN -> call(MATH, "max", CD_float, CD_float, CD_float);
                case MIN_NAN -> call(MATH, "min", CD_float, CD_float, CD_float);
                case POW -> call(LANE_OPS, "powF", CD_float, CD_float, CD_float);
                default -> null;
            };
            case DOUBLE -> switch (fn) {
                case ADD -> CodeBuilder::dadd;
                case SUB -> CodeBuilder::dsub;
                case MUL -> CodeBuilder::dmul;
                case DIV, DIV_RN -> CodeBuilder::ddiv;
                case REM -> CodeBuilder::drem;
                case MAX -> call(ELEMENTWISE, "fmax", CD_double, CD_double, CD_double);
                case MIN -> call(ELEMENTWISE, "fmin", CD_double, CD_double, CD_double);
                case MAX_NAN -> call(MATH, "max", CD_double, CD_double, CD_double);
                case MIN_NAN -> call(MATH, "min", CD_double, CD_double, CD_double);
                case POW -> call(MATH, "pow", CD_double, CD_double, CD_double);
                default -> null;
            };
            case INT -> {
                if (fn == Op.Binary.Fn.UMULHI && t.bits() < 32) {
                    yield b -> b.loadConstant(t.bits()).invokestatic(LANE_OPS, "umulhiNarrow", mt(CD_int, CD_int, CD_int, CD_int));
                }
                Consumer<CodeBuilder> unsigned = !t.isUnsigned() ? null : switch (fn) {
                    case DIV -> intHelper("divU");
                    case REM -> intHelper("remU");
                    case MAX -> intHelper("maxU");
                    case MIN -> intHelper("minU");
                    case SHR -> intHelper("shrU");
                    default -> null;
                };
                yield unsigned != null ? unsigned : switch (fn) {
                    case ADD -> CodeBuilder::iadd;
                    case SUB -> CodeBuilder::isub;
                    case MUL -> CodeBuilder::imul;
                    case DIV -> intHelper("divI");
                    case REM -> intHelper("remI");
                    case MAX -> call(MATH, "max", CD_int, CD_int, CD_int);
                    case MIN -> call(MATH, "min", CD_int, CD_int, CD_int);
                    case AND -> CodeBuilder::iand;
                    case OR -> CodeBuilder::ior;
                    case XOR -> CodeBuilder::ixor;
                    case SHL -> intHelper("shlI");
                    case SHR -> intHelper("shrI");
                    case UMULHI -> intHelper("umulhiI");
                    default -> null;
                };
            }
            case LONG -> {
                Consumer<CodeBuilder> unsigned = !t.isUnsigned() ? null : switch (fn) {
                    case DIV -> longHelper("divUL");
                    case REM -> longHelper("remUL");
                    case MAX -> longHelper("maxUL");
                    case MIN -> longHelper("minUL");
                    case SHR -> longHelper("shrUL");
                    default -> null;
                };
                yield unsigned != null ? unsigned : switch (fn) {
                    case ADD -> CodeBuilder::ladd;
                    case SUB -> CodeBuilder::lsub;
                    case MUL -> CodeBuilder::lmul;
                    case DIV -> longHelper("divL");
                    case REM -> longHelper("remL");
                    case MAX -> call(MATH, "max", CD_long, CD_long, CD_long);
                    case MIN -> call(MATH, "min", CD_long, CD_long, CD_long);
                    case AND -> CodeBuilder::land;
                    case OR -> CodeBuilder::lor;
                    case XOR -> CodeBuilder::lxor;
                    case SHL -> longHelper("shlL");
                    case SHR -> longHelper("shrL");
                    case UMULHI -> call(MATH, "unsignedMultiplyHigh", CD_long, CD_long, CD_long);
                    default -> null;
                };
            }
            case BOOL -> switch (fn) {
                case AND -> CodeBuilder::iand;
                case OR -> CodeBuilder::ior;
                case XOR -> CodeBuilder::ixor;
                default -> null;
            };
        };
    }

    private static Consumer<CodeBuilder> intHelper(String name) { return call(LANE_OPS, name, CD_int, CD_int, CD_int); }

    private static Consumer<CodeBuilder> longHelper(String name) { return call(LANE_OPS, name, CD_long, CD_long, CD_long); }

    // ------------------------------------------------------------------ MathRules.unary

    private static Consumer<CodeBuilder> unary(Op.Unary.Fn fn, Type type) {
        if (type.isPointer()) return null;
        boolean integerOnly = fn == Op.Unary.Fn.NOT || fn == Op.Unary.Fn.POPCOUNT;
        return switch (storage(type)) {
            case FLOAT -> switch (fn) {
                case NEG -> CodeBuilder::fneg;
                case ABS -> call(MATH, "abs", CD_float, CD_float);
                case EXP -> call(LANE_OPS, "expF", CD_float, CD_float);
                default -> integerOnly ? null : pushEnum(UNARY_FN, fn).andThen(call(LANE_OPS, "unaryF", CD_float, CD_float, UNARY_FN));
            };
            case DOUBLE -> switch (fn) {
                case NEG -> CodeBuilder::dneg;
                case ABS -> call(MATH, "abs", CD_double, CD_double);
                case SQRT, SQRT_RN -> call(MATH, "sqrt", CD_double, CD_double);
                case EXP2 -> call(LANE_OPS, "exp2D", CD_double, CD_double);
                case LOG2 -> call(MATH_RULES, "log2", CD_double, CD_double);
                default -> integerOnly ? null : pushEnum(UNARY_FN, fn).andThen(call(LANE_OPS, "unaryD", CD_double, CD_double, UNARY_FN));
            };
            case INT -> switch (fn) {
                case NEG -> CodeBuilder::ineg;
                case ABS -> call(MATH, "abs", CD_int, CD_int);
                case NOT -> b -> b.iconst_m1().ixor();
                case POPCOUNT -> {
                    int bits = type.dtype().bits(), mask = bits == 32 ? -1 : (1 << bits) - 1;
                    yield b -> b.loadConstant(mask).invokestatic(LANE_OPS, "popcountI", mt(CD_int, CD_int, CD_int));
                }
                default -> null;
            };
            case LONG -> switch (fn) {
                case NEG -> CodeBuilder::lneg;
                case ABS -> call(MATH, "abs", CD_long, CD_long);
                case NOT -> b -> b.loadConstant(-1L).lxor();
                case POPCOUNT -> b -> b.invokestatic(LONG, "bitCount", mt(CD_int, CD_long)).i2l();
                default -> null;
            };
            case BOOL -> fn == Op.Unary.Fn.NOT ? b -> b.iconst_1().ixor() : null;
        };
    }

    // ------------------------------------------------------------------ ElementwiseRules.compare, select, fma

    /**
     * A comparison as javac compiles one: two ints compared by a branch on both; other operands first
     * compared to -1, 0 or 1 by the JVM's compare instructions (or compareUnsigned), then tested.
     */
    private static Consumer<CodeBuilder> compare(Op.Compare.Fn fn, Type operands) {
        if (operands.isPointer()) return null;
        Storage st = storage(operands);
        if (st == Storage.BOOL || st == Storage.INT && operands.dtype() != DType.U32) { // on 0 and 1, !a & b is a < b, and so on
            return truth(switch (fn) {
                case LT -> Opcode.IF_ICMPLT;
                case LE -> Opcode.IF_ICMPLE;
                case GT -> Opcode.IF_ICMPGT;
                case GE -> Opcode.IF_ICMPGE;
                case EQ -> Opcode.IF_ICMPEQ;
                case NE -> Opcode.IF_ICMPNE;
            });
        }
        boolean below = fn == Op.Compare.Fn.LT || fn == Op.Compare.Fn.LE; // NaN must compare as "greater" for these
        Consumer<CodeBuilder> cmp = switch (st) {
            case FLOAT -> below ? CodeBuilder::fcmpg : CodeBuilder::fcmpl;
            case DOUBLE -> below ? CodeBuilder::dcmpg : CodeBuilder::dcmpl;
            case INT -> call(INTEGER, "compareUnsigned", CD_int, CD_int, CD_int);
            case LONG -> operands.dtype() == DType.U64 ? call(LONG, "compareUnsigned", CD_int, CD_long, CD_long) : CodeBuilder::lcmp;
            case BOOL -> throw new IllegalStateException();
        };
        Opcode test = switch (fn) {
            case LT -> Opcode.IFLT;
            case LE -> Opcode.IFLE;
            case GT -> Opcode.IFGT;
            case GE -> Opcode.IFGE;
            case EQ -> Opcode.IFEQ;
            case NE -> Opcode.IFNE;
        };
        return cmp.andThen(truth(test));
    }

    /** 1 if the value(s) on the stack pass {@code test} (an IFxx or IF_ICMPxx opcode), else 0. */
    static Consumer<CodeBuilder> truth(Opcode test) {
        return b -> b.ifThenElse(test, t -> t.iconst_1(), e -> e.iconst_0());
    }

    private static Consumer<CodeBuilder> select(Type t) {
        ClassDesc j = javaType(storage(t));
        return call(LANE_OPS, "select", j, CD_boolean, j, j);
    }

    private static Consumer<CodeBuilder> fma(Type t) {
        return switch (storage(t)) {
            case FLOAT -> call(MATH, "fma", CD_float, CD_float, CD_float, CD_float);
            case DOUBLE -> call(MATH, "fma", CD_double, CD_double, CD_double, CD_double);
            default -> null;
        };
    }

    // ------------------------------------------------------------------ ConversionRules.convert

    private static Consumer<CodeBuilder> convert(Op.Convert c) {
        Type fromT = c.source().type(), toT = c.result().type();
        if (fromT.isPointer() || toT.isPointer()) return null;
        DType from = fromT.dtype(), to = toT.dtype();
        Numerics.Rounding rounding = c.rounding() == null ? Numerics.Rounding.NEAREST_EVEN : c.rounding();
        Storage sf = Storage.of(from), st = Storage.of(to);
        Consumer<CodeBuilder> identity = b -> { };
        if (to.isBool()) {
            return switch (sf) {
                case FLOAT -> ((Consumer<CodeBuilder>) b -> b.fconst_0().fcmpl()).andThen(truth(Opcode.IFNE));
                case DOUBLE -> ((Consumer<CodeBuilder>) b -> b.dconst_0().dcmpl()).andThen(truth(Opcode.IFNE));
                case INT -> truth(Opcode.IFNE);
                case LONG -> ((Consumer<CodeBuilder>) b -> b.lconst_0().lcmp()).andThen(truth(Opcode.IFNE));
                case BOOL -> identity;
            };
        }
        if (to.isFloat()) {
            if (st == Storage.DOUBLE) {
                return switch (sf) {
                    case FLOAT -> CodeBuilder::f2d;
                    case DOUBLE -> identity;
                    default -> toLong(sf, from).andThen(pushEnum(DTYPE, from)).andThen(call(LANE_OPS, "intToDouble", CD_double, CD_long, DTYPE));
                };
            }
            if (from.isFloat()) {
                if (sf == Storage.FLOAT && (from == to || to == DType.F32 || (from.isFp8() && (to == DType.F16 || to == DType.BF16)))) {
                    return identity; // an exact widening (ConversionRules.isExactWidening)
                }
                if (rounding == Numerics.Rounding.TOWARD_ZERO && to == DType.F32) {
                    return sf == Storage.DOUBLE ? call(NUMERICS, "f32TowardZero", CD_float, CD_double) : null;
                }
                if (rounding == Numerics.Rounding.TOWARD_ZERO) {
                    return toDouble(sf).andThen(pushEnum(DTYPE, to)).andThen(pushEnum(ROUNDING, rounding))
                            .andThen(call(LANE_OPS, "towardZero", CD_float, CD_double, DTYPE, ROUNDING));
                }
                if (to == DType.F32) return sf == Storage.DOUBLE ? CodeBuilder::d2f : null;
                return toDouble(sf).andThen(pushEnum(DTYPE, to)).andThen(call(NUMERICS, "round", CD_float, CD_double, DTYPE));
            }
            if (from.bits() == 64 && to == DType.F32) {
                return pushEnum(DTYPE, from).andThen(call(NUMERICS, "intToFloat", CD_float, CD_long, DTYPE));
            }
            if (from.bits() == 64) {
                return pushEnum(DTYPE, from).andThen(pushEnum(DTYPE, to)).andThen(call(LANE_OPS, "wideIntToFloat", CD_float, CD_long, DTYPE, DTYPE));
            }
            return toLong(sf, from).andThen(pushEnum(DTYPE, from)).andThen(pushEnum(DTYPE, to))
                    .andThen(call(LANE_OPS, "intToFloat", CD_float, CD_long, DTYPE, DTYPE));
        }
        Consumer<CodeBuilder> toStorage = st == Storage.INT ? CodeBuilder::l2i : identity;
        if (from.isFloat()) {
            return toDouble(sf).andThen(pushEnum(DTYPE, to)).andThen(call(NUMERICS, "floatToInt", CD_long, CD_double, DTYPE)).andThen(toStorage);
        }
        return toLong(sf, from).andThen(pushEnum(DTYPE, to)).andThen(call(NUMERICS, "wrap", CD_long, CD_long, DTYPE)).andThen(toStorage);
    }

    /** Elements.getLong of an integer or i1 value: u32 zero-extends. */
    private static Consumer<CodeBuilder> toLong(Storage s, DType t) {
        return switch (s) {
            case INT -> t == DType.U32 ? call(INTEGER, "toUnsignedLong", CD_long, CD_int) : CodeBuilder::i2l;
            case LONG -> b -> { };
            case BOOL -> call(LANE_OPS, "boolToLong", CD_long, CD_boolean);
            default -> throw new IllegalStateException(s + " is not an integer storage");
        };
    }

    /** Elements.getDouble of a float value. */
    private static Consumer<CodeBuilder> toDouble(Storage s) {
        return s == Storage.FLOAT ? CodeBuilder::f2d : b -> { };
    }

    // ------------------------------------------------------------------ MemoryRules.ptrAdd

    private static Consumer<CodeBuilder> ptrAdd(Op.PtrAdd p) {
        Type ot = p.offset().type();
        if (ot.isPointer()) return null;
        long es = p.pointer().type().pointee().byteSize();
        Consumer<CodeBuilder> widen = switch (Storage.of(ot.dtype())) {
            case INT -> ot.dtype() == DType.U32 ? call(INTEGER, "toUnsignedLong", CD_long, CD_int) : CodeBuilder::i2l;
            case LONG -> b -> { };
            default -> null;
        };
        return widen == null ? null : widen.andThen(b -> b.loadConstant(es).lmul().ladd());
    }
}
