package dev.tessera.cuda;

import static dev.tessera.cuda.codegen.Kernels.*;
import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.cuda.codegen.Ptxas;
import dev.tessera.cuda.codegen.PtxModule;
import dev.tessera.ir.KernelIR;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.trace.ArgSpec;
import dev.tessera.types.DType;
import dev.tessera.types.DescriptorType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which PTX parameter a launch encodes each tensor map into, where some descriptors were expanded and others not. */
class CudaKernelParamsTest {
    /** out's stores may start before the tensor (so out is expanded); in's loads are TMA copies (one map). */
    @Kernel
    static void storeFirst(TensorDesc out, TensorDesc in, Tile row, Tile col, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM), n = programId(1).mul(BN);
        store(out, at(m.sub(row), n.sub(col)), load(in, m.add(row), n.add(col)).to(F32));
    }

    @Test
    void aMapFollowsTheFieldsOfAnExpandedDescriptor() {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        DescriptorType outType = new DescriptorType(DType.F32, List.of(32, 16)), inType = new DescriptorType(DType.BF16, List.of(32, 16));
        KernelIR ir = ir(CudaKernelParamsTest.class, "storeFirst",
                args(new ArgSpec(outType, 16, false), new ArgSpec(inType, 16, false), i32(), i32Div16()), "BM", 32, "BN", 16);
        PtxModule ptx = ptx(ir, 4, Ptxas.target(9, 0));
        PtxModule.ParamKind[] kinds = ptx.params().toArray(PtxModule.ParamKind[]::new);
        // out: base, two shapes, two strides; in: its map; row, col
        DescriptorType[] expected = new DescriptorType[8];
        expected[5] = inType;
        assertArrayEquals(expected, CudaKernel.descriptors(ir, kinds), () -> java.util.Arrays.toString(kinds));
    }
}
