package dev.tessera.cuda.codegen;

import dev.tessera.ir.Op.NumPrograms;
import dev.tessera.ir.Op.ProgramId;
import dev.tessera.types.DType;

/** program_id and num_programs: the block's index and the grid's size, read once in the prologue. */
final class ProgramRules {
    private ProgramRules() {}

    private static final String[] AXES = {"x", "y", "z"};

    static TileValue programId(ProgramId p, Lowerer cx) { return special(cx, "%ctaid." + AXES[p.axis()]); }

    static TileValue numPrograms(NumPrograms n, Lowerer cx) { return special(cx, "%nctaid." + AXES[n.axis()]); }

    private static TileValue special(Lowerer cx, String register) {
        String r = cx.w.inPrologue(() -> {
            String d = cx.w.reg(RegClass.B32);
            cx.w.op("mov.u32 %s, %s", d, register);
            return d;
        });
        return new TileValue(cx.layouts.scalar(), DType.I32, new String[] {r});
    }
}
