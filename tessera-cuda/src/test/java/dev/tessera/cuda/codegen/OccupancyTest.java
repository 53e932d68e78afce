package dev.tessera.cuda.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which build {@link Occupancy#choose} keeps, with made-up ptxas reports (registers and local
 * bytes for each occupancy request): the builds it asks for, in order, and the ones it discards.
 */
class OccupancyTest {

    record Fake(int minBlocks, int registers, int localBytes) implements Occupancy.Build {}

    /** Builds from {@code reports} (request → {registers, local bytes}), recording the requests and the discarded builds. */
    static final class Script implements Occupancy.Builder<Fake> {
        final Map<Integer, int[]> reports;
        final List<Integer> asked = new ArrayList<>();
        final List<Integer> discarded = new ArrayList<>();

        Script(Map<Integer, int[]> reports) { this.reports = reports; }

        @Override
        public Fake build(int minBlocks) {
            asked.add(minBlocks);
            int[] r = reports.get(minBlocks);
            return new Fake(minBlocks, r[0], r[1]);
        }

        Fake choose(int threads) { return Occupancy.choose(threads, this, f -> discarded.add(f.minBlocks())); }
    }

    @Test
    void smallBlocksAreBuiltOnceWithoutARequest() {
        Script s = new Script(Map.of(0, new int[] {90, 0}));
        assertEquals(0, s.choose(256).minBlocks());
        assertEquals(List.of(0), s.asked);
        assertEquals(List.of(), s.discarded);
    }

    @Test
    void theFloorIsKeptWhereItAlreadyGainsABlock() {
        // 40 registers: three blocks of 512 threads, more than the floor of two
        Script s = new Script(Map.of(2, new int[] {40, 0}));
        assertEquals(2, s.choose(512).minBlocks());
        assertEquals(List.of(2), s.asked);
    }

    @Test
    void aFloorThatSpillsMuchGivesWayToNoRequest() {
        Script s = new Script(Map.of(2, new int[] {64, 656}, 0, new int[] {168, 0}));
        assertEquals(0, s.choose(512).minBlocks());
        assertEquals(List.of(2, 0), s.asked);
        assertEquals(List.of(2), s.discarded);
    }

    @Test
    void ptxasLeftAloneIsKeptWhereItGainsABlock() {
        // the layer norm demo kernel: 58 with the floor, 40 without
        Script s = new Script(Map.of(2, new int[] {58, 0}, 0, new int[] {40, 0}));
        assertEquals(0, s.choose(512).minBlocks());
        assertEquals(List.of(2, 0), s.asked);
        assertEquals(List.of(2), s.discarded);
    }

    @Test
    void oneMoreBlockIsAskedForWhereNeitherGainsOne() {
        // the library's layer norm f16: 55 with the floor, 43 left alone, 40 when asked for three blocks
        Script s = new Script(Map.of(2, new int[] {55, 0}, 0, new int[] {43, 0}, 3, new int[] {40, 0}));
        assertEquals(3, s.choose(512).minBlocks());
        assertEquals(List.of(2, 0, 3), s.asked);
        assertEquals(List.of(0, 2), s.discarded);
    }

    @Test
    void oneMoreBlockThatSpillsIsNotKept() {
        // the fma form of layer norm f16: 40 registers for three blocks only with 8 bytes of spills
        Script s = new Script(Map.of(2, new int[] {62, 0}, 0, new int[] {60, 0}, 3, new int[] {40, 8}));
        assertEquals(2, s.choose(512).minBlocks());
        assertEquals(List.of(2, 0, 3), s.asked);
        assertEquals(List.of(0, 3), s.discarded);
    }

    @Test
    void aFloorThatSpillsALittleIsComparedByItsLocalMemory() {
        // softmax f32 of 16384 columns: 24 bytes under the floor; left alone one block; three blocks spill more
        Script s = new Script(Map.of(2, new int[] {64, 24}, 0, new int[] {71, 0}, 3, new int[] {40, 160}));
        assertEquals(2, s.choose(512).minBlocks());
        assertEquals(List.of(2, 0, 3), s.asked);
    }

    @Test
    void residentBlocksRoundRegistersToUnitsOfEight() {
        assertEquals(3, Occupancy.residentBlocks(40, 512));
        assertEquals(2, Occupancy.residentBlocks(41, 512));
        assertEquals(2, Occupancy.residentBlocks(64, 512));
        assertEquals(1, Occupancy.residentBlocks(65, 512));
    }
}
