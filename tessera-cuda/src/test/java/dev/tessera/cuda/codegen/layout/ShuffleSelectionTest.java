package dev.tessera.cuda.codegen.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.ir.Shape;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The translation of a shuffle plan's register selection into code: the predicates (parities of
 * the thread index under each mask) pick, through the select tree's indexing, the candidate that
 * is the register the plan names for that thread.
 */
class ShuffleSelectionTest {

    @Provide
    Arbitrary<Long> seeds() { return Arbitraries.longs(); }

    @Property(tries = 500)
    void predicatesPickTheRegisterThePlanNames(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        int numWarps = 1 << rnd.nextInt(3);
        Shape shape = ConversionPlanTest.randomShape(rnd);
        DistributedLayout a = ConversionPlanTest.randomLayout(rnd, shape, numWarps), b = ConversionPlanTest.randomLayout(rnd, shape, numWarps);
        ConversionPlan p = ConversionPlan.of(a, b);
        if (p.kind() != ConversionPlan.Kind.WARP_SHUFFLE || p.selection() == ConversionPlan.Selection.NONE) return;
        int[] image = p.selectionImage();
        LayoutConversion.SelectionBasis basis = LayoutConversion.selectionBasis(image);
        assertEquals(p.candidates(), 1 << basis.registers().size());
        for (int r = 0; r < b.numRegs(); r++) {
            List<Integer> candidates = LayoutConversion.candidates(p, r);
            for (int tid = 0; tid < 32 * numWarps; tid++) {
                int option = 0;
                for (int j = 0; j < basis.masks().size(); j++) option |= (Integer.bitCount(tid & basis.masks().get(j)) & 1) << j;
                int wanted = p.baseRegister(r);
                for (int t = 0; t < image.length; t++) if ((tid >>> t & 1) != 0) wanted ^= image[t];
                assertEquals(wanted, candidates.get(option), p + " register " + r + " thread " + tid);
            }
        }
    }
}
