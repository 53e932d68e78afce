package dev.tessera.cuda.codegen;

import java.util.function.Consumer;

/**
 * How many blocks of a kernel a multiprocessor keeps resident, and which of a kernel's builds the
 * CUDA compiler keeps. A build is the PTX with one occupancy request ({@code .minnctapersm}, see
 * {@link PtxCodegen#generate(dev.tessera.ir.KernelIR, dev.tessera.backend.LaunchOptions, Target, int)})
 * assembled by ptxas; ptxas spends the registers a request leaves it, so the request decides the
 * registers as much as the kernel does. The choice is kept apart from the driver so that tests can
 * make it with the toolkit's ptxas and no GPU.
 */
public final class Occupancy {
    private Occupancy() {}

    /**
     * Local memory per thread a kernel may use under the occupancy floor of large blocks (see
     * {@link #minBlocksPerSm}) before the PTX without the floor is tried instead. Row kernels
     * spill a few values across their reductions and still gain from the second resident block
     * (H200: softmax f32 of 16384 columns with 24 bytes of spills, 3965 GB/s against 3265
     * without the floor; RMSNorm bf16 with 4 bytes, 3646 against 2815); a 256x128 matmul tile
     * spills 656 bytes in its inner loop.
     */
    public static final int CAPPED_LOCAL_ALLOWANCE = 64;

    /**
     * Blocks of 512 threads or more ask ptxas to keep {@code 1024 / threads} blocks resident per
     * multiprocessor (at least half its 2048 thread slots), which caps registers at 64 for 512
     * threads. A row kernel holds its whole row in registers and waits on block-wide reductions;
     * with a single resident block nothing else hides those waits (softmax f32 of 16384 columns:
     * 80 registers, one block, 3265 GB/s; capped, 3965 GB/s on an H200). Returns 0 where no floor
     * applies.
     */
    public static int minBlocksPerSm(int threads) {
        return threads >= 512 && 1024 / threads >= 2 ? 1024 / threads : 0;
    }

    /**
     * Blocks of {@code threads} that fit an SM's 64 K registers at {@code registers} a thread
     * (allocated per warp in units of 256, so a thread's count rounds up to a multiple of 8).
     */
    public static int residentBlocks(int registers, int threads) {
        int perThread = (Math.max(1, registers) + 7) / 8 * 8;
        return 65536 / (perThread * threads);
    }

    /** What the choice reads of one build, as ptxas reports it. */
    public interface Build {
        int registers();

        /** Local memory a thread uses (spills and stack frame), in bytes. */
        int localBytes();
    }

    /** Builds the kernel asking ptxas for {@code minBlocks} resident blocks (0: no request). */
    public interface Builder<B extends Build> {
        B build(int minBlocks);
    }

    /**
     * The build to keep for blocks of {@code threads}; every other build made is handed to
     * {@code discard}. Blocks below the occupancy floor are built once, without a request. Large
     * blocks are built with the floor, then:
     * <ul>
     * <li>where the floor made ptxas spill more than {@link #CAPPED_LOCAL_ALLOWANCE}, without it,
     *     keeping whichever uses less local memory;</li>
     * <li>where the floor's build keeps no more blocks than the floor, without the request, which
     *     ptxas may fit in fewer registers (layer norm f16 with packed halves: 58 with the floor,
     *     40 without); then, if still no more than the floor, asking for one block more, as ptxas
     *     left alone may still spend registers it does not need (the library's layer norm f16:
     *     43 left alone, 40 and no spills when asked for three blocks of 512 threads).</li>
     * </ul>
     * A later build replaces the kept one only where it keeps more blocks with no more local memory.
     */
    public static <B extends Build> B choose(int threads, Builder<B> builder, Consumer<B> discard) {
        int floor = minBlocksPerSm(threads);
        B kept = builder.build(floor);
        if (floor == 0) return kept;
        if (kept.localBytes() > CAPPED_LOCAL_ALLOWANCE) {
            // local-memory traffic costs more than occupancy gains
            B free = builder.build(0);
            boolean better = free.localBytes() < kept.localBytes();
            discard.accept(better ? kept : free);
            return better ? free : kept;
        }
        for (int request : new int[] {0, floor + 1}) {
            if (residentBlocks(kept.registers(), threads) > floor) break;
            kept = better(kept, builder.build(request), threads, discard);
        }
        return kept;
    }

    private static <B extends Build> B better(B kept, B candidate, int threads, Consumer<B> discard) {
        boolean better = candidate.localBytes() <= kept.localBytes()
                && residentBlocks(candidate.registers(), threads) > residentBlocks(kept.registers(), threads);
        discard.accept(better ? kept : candidate);
        return better ? candidate : kept;
    }
}
