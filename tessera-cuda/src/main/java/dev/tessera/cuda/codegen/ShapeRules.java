package dev.tessera.cuda.codegen;

import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Op.Cat;
import dev.tessera.ir.Op.Join;
import dev.tessera.ir.Op.Split;

/**
 * join, split and cat: each is one register bit added or removed, so no data moves once the
 * operands are in the layouts the assignment chose (split needs the size-2 dimension in registers).
 */
final class ShapeRules {
    private ShapeRules() {}

    static TileValue join(Join j, DistributedLayout out, Lowerer cx) {
        TileValue a = cx.operand(j, j.lhs()), b = cx.operand(j, j.rhs());
        String[] regs = new String[out.numRegs()];
        for (int i = 0; i < a.size(); i++) {
            regs[2 * i] = a.reg(i);
            regs[2 * i + 1] = b.reg(i);
        }
        return new TileValue(out, j.result().type().element(), regs);
    }

    static void split(Split s, Lowerer cx) {
        TileValue src = cx.operand(s, s.source());
        DistributedLayout l = src.layout();
        int q = l.lastBitRegister();
        DistributedLayout half = l.splitHalf();
        for (int which = 0; which < 2; which++) {
            String[] regs = new String[half.numRegs()];
            for (int i = 0; i < regs.length; i++) {
                int low = i & ((1 << q) - 1), high = (i >> q) << (q + 1);
                regs[i] = src.reg(high | (which << q) | low);
            }
            cx.define(s.results().get(which), new TileValue(half, src.type(), regs));
        }
    }

    static TileValue cat(Cat c, DistributedLayout out, Lowerer cx) {
        TileValue a = cx.operand(c, c.lhs()), b = cx.operand(c, c.rhs());
        String[] regs = new String[out.numRegs()];
        System.arraycopy(a.regs(), 0, regs, 0, a.size());
        System.arraycopy(b.regs(), 0, regs, a.size(), b.size());
        return new TileValue(out, c.result().type().element(), regs);
    }
}
