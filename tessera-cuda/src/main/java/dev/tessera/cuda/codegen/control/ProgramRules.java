package dev.tessera.cuda.codegen.control;

import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.ir.Op.NumPrograms;
import dev.tessera.ir.Op.ProgramId;
import dev.tessera.types.DType;

/** program_id and num_programs: the block's index and the grid's size, read once in the prologue. */
public final class ProgramRules {
    private ProgramRules() {}

    private static final String[] AXES = {"x", "y", "z"};

    public static TileValue programId(ProgramId p, Lowerer cx) { return special(cx, "%ctaid." + AXES[p.axis()]); }

    public static TileValue numPrograms(NumPrograms n, Lowerer cx) { return special(cx, "%nctaid." + AXES[n.axis()]); }

    private static TileValue special(Lowerer cx, String register) {
        String r = cx.w.inPrologue(() -> {
            String d = cx.w.reg(RegClass.B32);
            cx.w.op("mov.u32 %s, %s", d, register);
            return d;
        });
        return new TileValue(cx.layouts.scalar(), DType.I32, new String[] {r});
    }
}
