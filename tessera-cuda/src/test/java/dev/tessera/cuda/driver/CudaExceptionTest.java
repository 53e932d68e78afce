package dev.tessera.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CudaExceptionTest {

    @Test
    void messageSaysWhatWasDoneThenTheDriversNameAndDescription() {
        var e = new CudaException("cuMemAlloc of 4096 bytes on device 0", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory", "");
        assertEquals("cuMemAlloc of 4096 bytes on device 0: CUDA_ERROR_OUT_OF_MEMORY (out of memory)", e.getMessage());
        assertEquals(2, e.result());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
        assertEquals("out of memory", e.errorDescription());
        assertEquals("cuMemAlloc of 4096 bytes on device 0", e.operation());
        assertEquals("", e.log());
    }

    @Test
    void aDriverLogFollowsOnItsOwnLines() {
        var e = new CudaException("cuModuleLoadDataEx of 120 bytes of PTX on primary context of cuda:0", 218,
                "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed",
                "ptxas application ptx input, line 11; error   : Unknown symbol '%x'\n");
        assertEquals("""
                cuModuleLoadDataEx of 120 bytes of PTX on primary context of cuda:0: CUDA_ERROR_INVALID_PTX \
                (a PTX JIT compilation failed)
                ptxas application ptx input, line 11; error   : Unknown symbol '%x'""", e.getMessage());
    }

    @Test
    void withoutADriverTheCodeIsStillReported() {
        if (CudaDriver.isAvailable()) return; // with a driver the names come from it (see DeviceGpuTest)
        var e = CudaException.of(2, "cuMemAlloc of 1 bytes on device 0");
        assertEquals("cuMemAlloc of 1 bytes on device 0: CUresult 2 (a result code this driver does not describe)",
                e.getMessage());
    }

    @Test
    void aKernelFaultSaysTheContextIsLost() {
        var e = new CudaException("cuMemAlloc of 7696 bytes on device 0", 716, "CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address", "");
        assertEquals("cuMemAlloc of 7696 bytes on device 0: CUDA_ERROR_MISALIGNED_ADDRESS (misaligned address); a kernel faulted, and this"
                + " process's CUDA context stays unusable: every later call fails so until it restarts (compute-sanitizer names the"
                + " faulting kernel and instruction)", e.getMessage());
        for (int code : new int[] {700, 702, 710, 714, 715, 716, 717, 718, 719}) assertTrue(CudaException.losesContext(code), "CUresult " + code);
        for (int code : new int[] {0, 1, 2, 200, 218, 701, 720}) assertFalse(CudaException.losesContext(code), "CUresult " + code);
    }
}
