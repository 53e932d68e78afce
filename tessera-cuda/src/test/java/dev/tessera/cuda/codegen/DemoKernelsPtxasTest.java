package dev.tessera.cuda.codegen;

import static dev.tessera.cuda.codegen.Kernels.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.ir.KernelIR;
import dev.tessera.types.DType;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The demo kernels compile with ptxas for sm_80 and sm_90a, with no local memory (no spills, no
 * stack frame): the property that keeps memory-bound kernels at full bandwidth.
 */
class DemoKernelsPtxasTest {

    record Case(String name, KernelIR ir, int warps) {
        @Override
        public String toString() { return name + "/w" + warps; }
    }

    static Stream<Arguments> cases() {
        List<Case> cases = List.of(
                new Case("add f32", ir(DemoKernels.class, "add", args(ptr(DType.F32), ptr(DType.F32), ptr(DType.F32), i32Div16()), "BLOCK", 1024), 4),
                new Case("add f32 n%16!=0", ir(DemoKernels.class, "add", args(ptr(DType.F32), ptr(DType.F32), ptr(DType.F32), i32()), "BLOCK", 1024), 4),
                new Case("add bf16", ir(DemoKernels.class, "add", args(ptr(DType.BF16), ptr(DType.BF16), ptr(DType.BF16), i32Div16()), "BLOCK", 2048), 8),
                new Case("copy f32", ir(DemoKernels.class, "copy", args(ptr(DType.F32), ptr(DType.F32), i32Div16()), "BLOCK", 4096), 4),
                new Case("softmax f32", ir(DemoKernels.class, "softmax", args(ptr(DType.F32), ptr(DType.F32), i32Div16(), i32Div16()), "BLOCK", 4096), 8),
                new Case("softmax bf16", ir(DemoKernels.class, "softmax", args(ptr(DType.BF16), ptr(DType.BF16), i32Div16(), i32Div16()), "BLOCK", 8192), 16),
                new Case("softmax f32 long rows", ir(DemoKernels.class, "softmax", args(ptr(DType.F32), ptr(DType.F32), i32Div16(), i32Div16()), "BLOCK", 16384), 16),
                new Case("softmax bf16 long rows", ir(DemoKernels.class, "softmax", args(ptr(DType.BF16), ptr(DType.BF16), i32Div16(), i32Div16()), "BLOCK", 16384), 16),
                new Case("layernorm f16", ir(DemoKernels.class, "layerNorm", args(ptr(DType.F16), ptr(DType.F16), ptr(DType.F16), ptr(DType.F16),
                        i32Div16(), i32Div16(), scalar(DType.F32)), "BLOCK", 8192), 16),
                new Case("softmax2d f32", ir(DemoKernels.class, "softmax2d", args(ptr(DType.F32), ptr(DType.F32), i32(), i32Div16()), "BM", 4, "BN", 256), 4),
                new Case("matmul f32", ir(DemoKernels.class, "matmul", args(ptr(DType.F32), ptr(DType.F32), ptr(DType.F32), i32Div16(), i32Div16(), i32Div16()),
                        "BM", 64, "BN", 64, "BK", 32), 4),
                new Case("matmul bf16 tensor cores", ir(DemoKernels.class, "matmul", args(ptr(DType.BF16), ptr(DType.BF16), ptr(DType.F32), i32Div16(),
                        i32Div16(), i32Div16()), "BM", 128, "BN", 128, "BK", 32), 8),
                new Case("matmul f16 tensor cores n%16!=0", ir(DemoKernels.class, "matmul", args(ptr(DType.F16), ptr(DType.F16), ptr(DType.F16), i32(),
                        i32(), i32Div16()), "BM", 64, "BN", 128, "BK", 64), 4),
                new Case("attention bf16 d64", ir(DemoKernels.class, "attention", args(ptr(DType.BF16), ptr(DType.BF16), ptr(DType.BF16), ptr(DType.BF16),
                        i32Div16(), scalar(DType.F32)), "D", 64, "BM", 128, "BN", 64), 8));
        return cases.stream().flatMap(c -> Stream.of(Arguments.of(c, 8, 0), Arguments.of(c, 9, 0)));
    }

    @ParameterizedTest(name = "{0} sm_{1}{2}")
    @MethodSource("cases")
    void compilesWithoutLocalMemory(Case c, int major, int minor) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(major, minor);
        PtxModule m = ptx(c.ir(), c.warps(), target);
        Ptxas.Report r = Ptxas.assemble(m.ptx(), target.ptx().arch());
        Dumps.write(c + "_sm" + major + minor, m.ptx(), r.output());
        assertTrue(r.ok(), () -> r.output() + "\n" + numbered(m.ptx()));
        assertEquals(0, r.spillStores(), () -> "spill stores:\n" + r.output());
        assertEquals(0, r.spillLoads(), () -> "spill loads:\n" + r.output());
        assertEquals(0, r.stackFrame(), () -> "stack frame:\n" + r.output());
    }

    static String numbered(String text) {
        String[] lines = text.split("\n");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) sb.append(i + 1).append(": ").append(lines[i]).append('\n');
        return sb.toString();
    }
}
