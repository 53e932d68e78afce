package dev.tessera.cuda.codegen.layout;

import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.convert.Packing;
import dev.tessera.ir.Op.Cat;
import dev.tessera.ir.Op.Join;
import dev.tessera.ir.Op.Split;

/**
 * join, split and cat: each is one register bit added or removed, so no data moves once the
 * operands are in the layouts the assignment chose (split needs the size-2 dimension in registers).
 */
public final class ShapeRules {
    private ShapeRules() {}

    public static TileValue join(Join j, DistributedLayout out, Lowerer cx) {
        TileValue pa = cx.operandAny(j, j.lhs()), pb = cx.operandAny(j, j.rhs());
        if (pa.isPacked() && pb.isPacked()) {
            // the joined dimension is register bit 0: each word pairs an element of each side
            return Packing.gather(cx, out, j.result().type().element(), new TileValue[] {pa, pb}, new Packing.Origin() {
                public int source(int e) { return e & 1; }
                public int index(int e) { return e >> 1; }
            });
        }
        TileValue a = Packing.unpack(cx, pa), b = Packing.unpack(cx, pb);
        String[] regs = new String[out.numRegs()];
        for (int i = 0; i < a.size(); i++) {
            regs[2 * i] = a.reg(i);
            regs[2 * i + 1] = b.reg(i);
        }
        return new TileValue(out, j.result().type().element(), regs);
    }

    public static void split(Split s, Lowerer cx) {
        TileValue src = cx.operandAny(s, s.source());
        DistributedLayout l = src.layout();
        int q = l.lastBitRegister();
        DistributedLayout half = l.splitHalf();
        if (src.isPacked() && TileValue.packable(src.type(), half)) {
            for (int which = 0; which < 2; which++) {
                final int side = which;
                cx.define(s.results().get(which), Packing.gather(cx, half, src.type(), new TileValue[] {src}, new Packing.Origin() {
                    public int source(int e) { return 0; }
                    public int index(int e) { return ((e >> q) << (q + 1)) | (side << q) | (e & ((1 << q) - 1)); }
                }));
            }
            return;
        }
        src = Packing.unpack(cx, src);
        for (int which = 0; which < 2; which++) {
            String[] regs = new String[half.numRegs()];
            for (int i = 0; i < regs.length; i++) {
                int low = i & ((1 << q) - 1), high = (i >> q) << (q + 1);
                regs[i] = src.reg(high | (which << q) | low);
            }
            cx.define(s.results().get(which), new TileValue(half, src.type(), regs));
        }
    }

    public static TileValue cat(Cat c, DistributedLayout out, Lowerer cx) {
        TileValue pa = cx.operandAny(c, c.lhs()), pb = cx.operandAny(c, c.rhs());
        if (pa.isPacked() && pb.isPacked()) {
            // the new register bit is the highest: the words follow each other
            String[] words = new String[pa.numWords() + pb.numWords()];
            System.arraycopy(pa.words(), 0, words, 0, pa.numWords());
            System.arraycopy(pb.words(), 0, words, pa.numWords(), pb.numWords());
            return TileValue.packed(out, c.result().type().element(), words);
        }
        TileValue a = Packing.unpack(cx, pa), b = Packing.unpack(cx, pb);
        String[] regs = new String[out.numRegs()];
        System.arraycopy(a.regs(), 0, regs, 0, a.size());
        System.arraycopy(b.regs(), 0, regs, a.size(), b.size());
        return new TileValue(out, c.result().type().element(), regs);
    }
}
