package dev.tessera.kernels.loss;

import static dev.tessera.cuda.codegen.Kernels.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.codegen.PtxCodegen;
import dev.tessera.cuda.codegen.Ptxas;
import dev.tessera.ir.KernelIR;
import dev.tessera.runtime.Device;
import dev.tessera.trace.ArgSpec;
import dev.tessera.types.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The row kernel at the GPU blockings ({@link CrossEntropy.Config#defaultFor}: 16384 logits on 32
 * warps from a vocabulary of 65536, 8192 on 16 below) at the benchmark's specialization (8192 ×
 * 128256 or 4096 × 32000, mean, no other term: pointers aligned, n and the row stride divisible
 * by 16, ignore_index −100 not), in the build the CUDA compiler keeps for sm_90a (here with the
 * toolkit's ptxas): both blockings leave ptxas 64 registers a thread, and the next block, loaded a
 * step ahead in both passes, must fit in them. The registers are printed for the record (ptxas 13,
 * 16384 logits: 54 in bf16 and 56 in f16 before the prefetch, 64 with it; no spills either way).
 * Not covered, as they spill with the prefetch: f32 logits (the block in flight takes 16 registers,
 * not 8: 88 bytes of spill stores at either blocking, none without) and every term on at 16384
 * logits (312 bytes of spill stores, 224 without).
 */
class CrossEntropyPtxasTest {

    @ParameterizedTest(name = "{0} logits, a vocabulary of {1}")
    @CsvSource({"BF16, 128256", "F16, 128256", "BF16, 32000", "F16, 32000"})
    void theGpuBlockingsAssembleWithoutSpills(String dtype, int vocabulary) {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        CrossEntropy.Config gpu = gpu(vocabulary);
        Ptxas.Build kept = Ptxas.chosen(rowKernel(DType.valueOf(dtype), gpu), gpu.warps(), Ptxas.target(9, 0));
        Ptxas.Report r = kept.report();
        System.out.println("cross-entropy rows, " + dtype + ", " + gpu + ": " + r.registers() + " registers, "
                + r.spillStores() + " bytes spill stores, " + r.spillLoads() + " bytes spill loads");
        assertEquals(0, r.spillStores(), r::output);
        assertEquals(0, r.spillLoads(), r::output);
        assertEquals(0, kept.localBytes(), r::output);
    }

    /**
     * The software prefetch as generated (ptxas may still move instructions): in both loops over
     * whole blocks, the step's loads (the next block) come before the first exponential of the
     * block it computes on, and what they load is not computed on in the step: each loaded register
     * is read once more, copied into the carried block after the step's last exponential (and in
     * the second pass its loads precede its stores). The loops, in order: the first pass's over
     * whole blocks and over the ragged end, the second pass's over the ragged end and over whole
     * blocks. The PTX is left in target/ for reading.
     */
    @Test
    void theWholeBlockLoopsLoadTheNextBlockBeforeComputingOnTheirOwn() throws Exception {
        CrossEntropy.Config gpu = gpu(128256);
        String ptx = PtxCodegen.generate(rowKernel(DType.BF16, gpu), new LaunchOptions(gpu.warps(), 1), Ptxas.target(9, 0)).ptx();
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "cross-entropy-rows-bf16-sm_90a.ptx"), ptx);
        List<String> loops = loopBodies(ptx);
        assertEquals(4, loops.size(), "the two passes' loops over whole blocks and over the ragged end");
        for (int i : new int[] {0, 3}) {
            String body = loops.get(i);
            int lastLoad = body.lastIndexOf("ld.global"), firstExp = body.indexOf("ex2.approx"), lastExp = body.lastIndexOf("ex2.approx");
            assertEquals(2, occurrences(body, "ld.global"), "the next block's loads, two vectors of 8 logits a thread, in loop " + i);
            assertTrue(lastLoad >= 0 && firstExp > lastLoad, "the next block's loads before the exponentials in loop " + i + ":\n" + body);
            Matcher words = Pattern.compile("ld\\.global[^{]*\\{([^}]*)}").matcher(body);
            while (words.find()) {
                for (String word : words.group(1).split(",\\s*")) {
                    Matcher reads = Pattern.compile(Pattern.quote(word) + "\\b").matcher(body.substring(words.end()));
                    List<Integer> at = new ArrayList<>();
                    while (reads.find()) at.add(words.end() + reads.start());
                    assertEquals(1, at.size(), () -> word + ", loaded in loop " + i + ", is read once (copied into the next step):\n" + body);
                    int copy = body.lastIndexOf('\n', at.getFirst()) + 1;
                    assertTrue(body.startsWith("\tmov.b32 ", copy) && copy > lastExp, () -> word + " copied after the exponentials:\n" + body);
                }
            }
            if (i == 3) assertTrue(body.indexOf("st.global") > lastLoad, "the next block's loads before the gradient's stores:\n" + body);
        }
    }

    /**
     * The first pass through descriptors (a config of 3 or 4 stages) at the GPU blocking of 16384
     * logits on 32 warps, bf16: its loop over whole blocks is pipelined, each block one box of
     * [1, 64, 256] copied by the unit with an evict_last policy (kept in L2 for the second pass) a
     * stage per slot, read from its slot in 16-byte vectors, with no barrier of the whole block and
     * no other shared-memory traffic in the loop; no spills.
     */
    @ParameterizedTest(name = "{0} stages")
    @CsvSource({"3", "4"})
    void theFirstPassThroughDescriptorsCopiesItsBlocksAhead(int stages) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        CrossEntropy.Config c = gpu(128256);
        var rows = new ArgSpec(new dev.tessera.types.DescriptorType(DType.BF16, List.of(1, c.block() / CrossEntropyKernels.DESCRIPTOR_COLUMNS,
                CrossEntropyKernels.DESCRIPTOR_COLUMNS)), 16, false);
        List<ArgSpec> args = new ArrayList<>(List.of(rows));
        args.addAll(rowArgs(DType.BF16));
        KernelIR ir = ir(CrossEntropyKernels.class, "lossAndGradientDescriptors", args,
                "BLOCK", c.block(), "SCALED", false, "SOFTCAP", false, "SMOOTHING", false, "Z_LOSS", false, "MEAN", true, "GRAD", true);
        var m = PtxCodegen.generate(ir, new LaunchOptions(c.warps(), stages), Ptxas.target(9, 0));
        Ptxas.Report r = Ptxas.assemble(m.ptx(), "sm_90a");
        System.out.println("cross-entropy rows through descriptors, bf16, " + c + ", " + stages + " stages: " + r.registers() + " registers, "
                + r.spillStores() + " bytes spill stores, " + m.sharedBytes() + " bytes of shared memory");
        assertTrue(r.ok(), r::output);
        assertEquals(0, Math.max(0, r.spillStores()) + Math.max(0, r.spillLoads()), r::output);
        String ptx = m.ptx();
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "cross-entropy-rows-descriptors-bf16-sm_90a.ptx"), ptx);
        String loop = ptx.substring(ptx.indexOf("\n$L_pipelined_head"), ptx.indexOf("\n$L_pipelined_end"));
        assertEquals(1, occurrences(loop, "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes.L2::cache_hint"), loop);
        assertTrue(ptx.contains("createpolicy.fractional.L2::evict_last.b64"), "the copies keep their lines in L2");
        assertEquals(0, occurrences(loop, "bar.sync") + occurrences(loop, "st.shared") + occurrences(loop, "ld.global"), "no barrier, no other traffic:\n" + loop);
        assertEquals(c.block() / (32 * c.warps()) / 8, occurrences(loop, "ld.shared.v4"), "the block from its slot, 8 logits a load");
        assertTrue(m.sharedBytes() >= stages * c.block() * 2, "a slot a stage");
    }

    private static CrossEntropy.Config gpu(int vocabulary) { return CrossEntropy.Config.defaultFor(new Device("cuda", 0), vocabulary); }

    /** The row kernel traced at the benchmark's specialization for logits of {@code dtype} in blocking {@code c}. */
    private static KernelIR rowKernel(DType dtype, CrossEntropy.Config c) {
        return ir(CrossEntropyKernels.class, "lossAndGradient", rowArgs(dtype),
                "BLOCK", c.block(), "SCALED", false, "SOFTCAP", false, "SMOOTHING", false, "Z_LOSS", false, "MEAN", true, "GRAD", true);
    }

    /** The row kernel's arguments at the benchmark's specialization, from the logits on. */
    private static List<ArgSpec> rowArgs(DType dtype) {
        return args(ptr(dtype), ptr(DType.I32), ptr(DType.F32), ptr(DType.I32), new ArgSpec(DType.I64, 16, false), i32Div16(), i32(),
                scalar(DType.F32), scalar(DType.F32), scalar(DType.F32), scalar(DType.F32));
    }

    /** The bodies of the PTX's run-time loops, in order. */
    private static List<String> loopBodies(String ptx) {
        Matcher loop = Pattern.compile("(?s)\\$L_for_head_(\\d+):(.*?)bra \\$L_for_head_\\1;").matcher(ptx);
        List<String> bodies = new ArrayList<>();
        while (loop.find()) bodies.add(loop.group(2));
        return bodies;
    }
}
