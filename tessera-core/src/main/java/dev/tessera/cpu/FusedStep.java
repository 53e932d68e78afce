package dev.tessera.cpu;

import java.lang.foreign.MemorySegment;

/**
 * A {@link FusionGroup} run as one generated loop ({@link FusedLoops}), or as its ops' own steps
 * when the loop may not run: while an {@link AccessRecorder} records the program, and when
 * {@link FusedMemory} finds a chunk out of bounds or a store that could overtake a load. Both ways
 * compute the same bits; the unfused steps stay the reference.
 */
final class FusedStep implements Step {
    private final Step[] unfused;
    private final FusedLoops loops;
    private final int chunks, chunk;
    private final int[] elementSizes;
    private final boolean[] stores;
    private final int[] aliasSlots, aliasSources;

    private FusedStep(FusionGroup g, Lowering l, FusedLoops loops) {
        this.unfused = g.unfused.toArray(Step[]::new);
        this.loops = loops;
        this.chunks = g.chunks;
        this.chunk = g.chunk;
        this.elementSizes = g.accesses.stream().mapToInt(FusedAccess::elementSize).toArray();
        this.stores = new boolean[g.accesses.size()];
        for (int k = 0; k < stores.length; k++) stores[k] = g.accesses.get(k).isStore();
        this.aliasSlots = g.aliases.stream().mapToInt(op -> l.slot(op.result())).toArray();
        this.aliasSources = g.aliases.stream().mapToInt(op -> l.slot(op.operands().getFirst())).toArray();
    }

    /** The group's step, or null when nothing it computes is read and it touches no memory. */
    static Step of(FusionGroup g, Lowering l) {
        g.plan(l);
        if (g.laneOps.isEmpty() && g.accesses.isEmpty() && g.aliases.isEmpty()) return null;
        l.fusedLoops.add(g.describe());
        return new FusedStep(g, l, FusedCodegen.generate(g, l));
    }

    @Override
    public void run(ExecFrame f) {
        if (f.recording) {
            Lowering.runAll(unfused, f);
            return;
        }
        MemorySegment[] segments = null;
        long[] offsets = null;
        if (elementSizes.length > 0) {
            segments = f.segments(elementSizes.length);
            offsets = f.chunkOffsets(elementSizes.length * chunks);
            loops.chunkAddresses(f, offsets);
            if (!FusedMemory.locate(offsets, segments, chunks, chunk, elementSizes, stores)) {
                Lowering.runAll(unfused, f);
                return;
            }
        }
        loops.run(f, segments, offsets);
        for (int k = 0; k < aliasSlots.length; k++) f.slots[aliasSlots[k]] = f.slots[aliasSources[k]];
    }
}
