package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.Optional;

/**
 * The libcuda entry points Tessera uses: one static method per driver function, returning the raw
 * CUresult. Java names drop the {@code _v2} suffix; the symbol bound is the one cuda.h maps the
 * name to (the legacy-default-stream variants, not {@code _ptds}/{@code _ptsz}).
 *
 * <p>Handles are resolved when this class initializes, which happens only after the library has
 * been probed. A symbol the installed driver lacks does not break initialization: calling it
 * throws {@link UnsupportedOperationException} naming the symbol, so an old driver fails only in
 * the feature that needs the newer entry point.
 */
final class Cu {
    private Cu() {}

    static final String LIBRARY = "libcuda.so.1";
    static final int CUDA_SUCCESS = 0;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final String LOAD_FAILURE;
    private static final SymbolLookup LIB;

    static {
        SymbolLookup lookup;
        String failure = null;
        try {
            lookup = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
        } catch (IllegalArgumentException | IllegalCallerException e) {
            lookup = name -> Optional.empty();
            failure = LIBRARY + " could not be loaded (no NVIDIA driver on this machine?): " + e.getMessage();
        }
        LIB = lookup;
        LOAD_FAILURE = failure;
    }

    /** Why the driver library could not be opened, or null when it was. */
    static String loadFailure() {
        return LOAD_FAILURE;
    }

    private static MethodHandle bind(FunctionDescriptor descriptor, String... symbols) {
        for (String symbol : symbols) {
            Optional<MemorySegment> address = LIB.find(symbol);
            if (address.isPresent()) return LINKER.downcallHandle(address.get(), descriptor);
        }
        var missing = new UnsupportedOperationException(
                "the installed CUDA driver (" + LIBRARY + ") has no " + String.join(" or ", symbols));
        MethodHandle thrower = MethodHandles.throwException(descriptor.toMethodType().returnType(),
                UnsupportedOperationException.class);
        thrower = MethodHandles.insertArguments(thrower, 0, missing);
        return MethodHandles.dropArguments(thrower, 0, descriptor.toMethodType().parameterList());
    }

    private static FunctionDescriptor result(MemoryLayout... arguments) {
        return FunctionDescriptor.of(JAVA_INT, arguments);
    }

    // invokeExact declares Throwable; the handles themselves throw only unchecked exceptions.
    private static RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    // ---- initialization, version, errors

    private static final MethodHandle INIT = bind(result(JAVA_INT), "cuInit");
    private static final MethodHandle DRIVER_GET_VERSION = bind(result(ADDRESS), "cuDriverGetVersion");
    private static final MethodHandle GET_ERROR_NAME = bind(result(JAVA_INT, ADDRESS), "cuGetErrorName");
    private static final MethodHandle GET_ERROR_STRING = bind(result(JAVA_INT, ADDRESS), "cuGetErrorString");

    static int cuInit(int flags) {
        try { return (int) INIT.invokeExact(flags); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuDriverGetVersion(MemorySegment version) {
        try { return (int) DRIVER_GET_VERSION.invokeExact(version); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuGetErrorName(int error, MemorySegment name) {
        try { return (int) GET_ERROR_NAME.invokeExact(error, name); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuGetErrorString(int error, MemorySegment description) {
        try { return (int) GET_ERROR_STRING.invokeExact(error, description); } catch (Throwable t) { throw unchecked(t); }
    }

    // ---- devices

    private static final MethodHandle DEVICE_GET_COUNT = bind(result(ADDRESS), "cuDeviceGetCount");
    private static final MethodHandle DEVICE_GET = bind(result(ADDRESS, JAVA_INT), "cuDeviceGet");
    private static final MethodHandle DEVICE_GET_NAME = bind(result(ADDRESS, JAVA_INT, JAVA_INT), "cuDeviceGetName");
    private static final MethodHandle DEVICE_GET_ATTRIBUTE =
            bind(result(ADDRESS, JAVA_INT, JAVA_INT), "cuDeviceGetAttribute");
    private static final MethodHandle DEVICE_TOTAL_MEM = bind(result(ADDRESS, JAVA_INT), "cuDeviceTotalMem_v2");

    static int cuDeviceGetCount(MemorySegment count) {
        try { return (int) DEVICE_GET_COUNT.invokeExact(count); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuDeviceGet(MemorySegment device, int ordinal) {
        try { return (int) DEVICE_GET.invokeExact(device, ordinal); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuDeviceGetName(MemorySegment name, int length, int device) {
        try { return (int) DEVICE_GET_NAME.invokeExact(name, length, device); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuDeviceGetAttribute(MemorySegment value, int attribute, int device) {
        try { return (int) DEVICE_GET_ATTRIBUTE.invokeExact(value, attribute, device); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuDeviceTotalMem(MemorySegment bytes, int device) {
        try { return (int) DEVICE_TOTAL_MEM.invokeExact(bytes, device); } catch (Throwable t) { throw unchecked(t); }
    }

    // ---- contexts

    private static final MethodHandle PRIMARY_CTX_RETAIN = bind(result(ADDRESS, JAVA_INT), "cuDevicePrimaryCtxRetain");
    private static final MethodHandle CTX_GET_CURRENT = bind(result(ADDRESS), "cuCtxGetCurrent");
    private static final MethodHandle CTX_SET_CURRENT = bind(result(ADDRESS), "cuCtxSetCurrent");
    private static final MethodHandle CTX_SYNCHRONIZE = bind(result(), "cuCtxSynchronize");

    static int cuDevicePrimaryCtxRetain(MemorySegment context, int device) {
        try { return (int) PRIMARY_CTX_RETAIN.invokeExact(context, device); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuCtxGetCurrent(MemorySegment context) {
        try { return (int) CTX_GET_CURRENT.invokeExact(context); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuCtxSetCurrent(MemorySegment context) {
        try { return (int) CTX_SET_CURRENT.invokeExact(context); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuCtxSynchronize() {
        try { return (int) CTX_SYNCHRONIZE.invokeExact(); } catch (Throwable t) { throw unchecked(t); }
    }

    // ---- memory

    private static final MethodHandle MEM_GET_INFO = bind(result(ADDRESS, ADDRESS), "cuMemGetInfo_v2");
    private static final MethodHandle MEM_ALLOC = bind(result(ADDRESS, JAVA_LONG), "cuMemAlloc_v2");
    private static final MethodHandle MEM_FREE = bind(result(JAVA_LONG), "cuMemFree_v2");
    private static final MethodHandle MEMCPY_HTOD = bind(result(JAVA_LONG, ADDRESS, JAVA_LONG), "cuMemcpyHtoD_v2");
    private static final MethodHandle MEMCPY_DTOH = bind(result(ADDRESS, JAVA_LONG, JAVA_LONG), "cuMemcpyDtoH_v2");
    private static final MethodHandle MEMCPY_DTOD = bind(result(JAVA_LONG, JAVA_LONG, JAVA_LONG), "cuMemcpyDtoD_v2");
    private static final MethodHandle MEMCPY_HTOD_ASYNC =
            bind(result(JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS), "cuMemcpyHtoDAsync_v2");
    private static final MethodHandle MEMCPY_DTOH_ASYNC =
            bind(result(ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS), "cuMemcpyDtoHAsync_v2");
    private static final MethodHandle MEMCPY_DTOD_ASYNC =
            bind(result(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), "cuMemcpyDtoDAsync_v2");
    private static final MethodHandle MEMSET_D8 = bind(result(JAVA_LONG, JAVA_BYTE, JAVA_LONG), "cuMemsetD8_v2");
    private static final MethodHandle MEMSET_D32 = bind(result(JAVA_LONG, JAVA_INT, JAVA_LONG), "cuMemsetD32_v2");
    private static final MethodHandle MEMSET_D8_ASYNC =
            bind(result(JAVA_LONG, JAVA_BYTE, JAVA_LONG, ADDRESS), "cuMemsetD8Async");
    private static final MethodHandle MEMSET_D32_ASYNC =
            bind(result(JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS), "cuMemsetD32Async");

    private static final MethodHandle MEM_HOST_ALLOC = bind(result(ADDRESS, JAVA_LONG, JAVA_INT), "cuMemHostAlloc");
    private static final MethodHandle MEM_FREE_HOST = bind(result(ADDRESS), "cuMemFreeHost");

    static int cuMemHostAlloc(MemorySegment pointer, long bytes, int flags) {
        try { return (int) MEM_HOST_ALLOC.invokeExact(pointer, bytes, flags); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemFreeHost(MemorySegment pointer) {
        try { return (int) MEM_FREE_HOST.invokeExact(pointer); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemGetInfo(MemorySegment free, MemorySegment total) {
        try { return (int) MEM_GET_INFO.invokeExact(free, total); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemAlloc(MemorySegment address, long bytes) {
        try { return (int) MEM_ALLOC.invokeExact(address, bytes); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemFree(long address) {
        try { return (int) MEM_FREE.invokeExact(address); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemcpyHtoD(long dst, MemorySegment src, long bytes) {
        try { return (int) MEMCPY_HTOD.invokeExact(dst, src, bytes); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemcpyDtoH(MemorySegment dst, long src, long bytes) {
        try { return (int) MEMCPY_DTOH.invokeExact(dst, src, bytes); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemcpyDtoD(long dst, long src, long bytes) {
        try { return (int) MEMCPY_DTOD.invokeExact(dst, src, bytes); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemcpyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        try { return (int) MEMCPY_HTOD_ASYNC.invokeExact(dst, src, bytes, stream); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemcpyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        try { return (int) MEMCPY_DTOH_ASYNC.invokeExact(dst, src, bytes, stream); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemcpyDtoDAsync(long dst, long src, long bytes, MemorySegment stream) {
        try { return (int) MEMCPY_DTOD_ASYNC.invokeExact(dst, src, bytes, stream); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemsetD8(long dst, byte value, long count) {
        try { return (int) MEMSET_D8.invokeExact(dst, value, count); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemsetD32(long dst, int value, long count) {
        try { return (int) MEMSET_D32.invokeExact(dst, value, count); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemsetD8Async(long dst, byte value, long count, MemorySegment stream) {
        try { return (int) MEMSET_D8_ASYNC.invokeExact(dst, value, count, stream); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuMemsetD32Async(long dst, int value, long count, MemorySegment stream) {
        try { return (int) MEMSET_D32_ASYNC.invokeExact(dst, value, count, stream); } catch (Throwable t) { throw unchecked(t); }
    }

    // ---- streams and events

    private static final MethodHandle STREAM_CREATE = bind(result(ADDRESS, JAVA_INT), "cuStreamCreate");
    private static final MethodHandle STREAM_SYNCHRONIZE = bind(result(ADDRESS), "cuStreamSynchronize");
    private static final MethodHandle STREAM_DESTROY = bind(result(ADDRESS), "cuStreamDestroy_v2");
    private static final MethodHandle EVENT_CREATE = bind(result(ADDRESS, JAVA_INT), "cuEventCreate");
    private static final MethodHandle EVENT_RECORD = bind(result(ADDRESS, ADDRESS), "cuEventRecord");
    private static final MethodHandle EVENT_SYNCHRONIZE = bind(result(ADDRESS), "cuEventSynchronize");
    // _v2 appeared in CUDA 12.8 (cuda.h maps the plain name to it); older drivers only have the original.
    private static final MethodHandle EVENT_ELAPSED_TIME =
            bind(result(ADDRESS, ADDRESS, ADDRESS), "cuEventElapsedTime_v2", "cuEventElapsedTime");
    private static final MethodHandle EVENT_DESTROY = bind(result(ADDRESS), "cuEventDestroy_v2");
    private static final MethodHandle EVENT_QUERY = bind(result(ADDRESS), "cuEventQuery");
    private static final MethodHandle STREAM_WAIT_EVENT = bind(result(ADDRESS, ADDRESS, JAVA_INT), "cuStreamWaitEvent");

    static int cuStreamCreate(MemorySegment stream, int flags) {
        try { return (int) STREAM_CREATE.invokeExact(stream, flags); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuStreamSynchronize(MemorySegment stream) {
        try { return (int) STREAM_SYNCHRONIZE.invokeExact(stream); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuStreamDestroy(MemorySegment stream) {
        try { return (int) STREAM_DESTROY.invokeExact(stream); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuEventCreate(MemorySegment event, int flags) {
        try { return (int) EVENT_CREATE.invokeExact(event, flags); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuEventRecord(MemorySegment event, MemorySegment stream) {
        try { return (int) EVENT_RECORD.invokeExact(event, stream); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuEventSynchronize(MemorySegment event) {
        try { return (int) EVENT_SYNCHRONIZE.invokeExact(event); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuEventElapsedTime(MemorySegment milliseconds, MemorySegment start, MemorySegment end) {
        try { return (int) EVENT_ELAPSED_TIME.invokeExact(milliseconds, start, end); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuEventDestroy(MemorySegment event) {
        try { return (int) EVENT_DESTROY.invokeExact(event); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuEventQuery(MemorySegment event) {
        try { return (int) EVENT_QUERY.invokeExact(event); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuStreamWaitEvent(MemorySegment stream, MemorySegment event, int flags) {
        try { return (int) STREAM_WAIT_EVENT.invokeExact(stream, event, flags); } catch (Throwable t) { throw unchecked(t); }
    }

    // ---- modules, functions, launch

    private static final MethodHandle MODULE_LOAD_DATA_EX =
            bind(result(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS), "cuModuleLoadDataEx");
    private static final MethodHandle MODULE_GET_FUNCTION =
            bind(result(ADDRESS, ADDRESS, ADDRESS), "cuModuleGetFunction");
    private static final MethodHandle MODULE_UNLOAD = bind(result(ADDRESS), "cuModuleUnload");
    private static final MethodHandle FUNC_GET_ATTRIBUTE = bind(result(ADDRESS, JAVA_INT, ADDRESS), "cuFuncGetAttribute");
    private static final MethodHandle FUNC_SET_ATTRIBUTE = bind(result(ADDRESS, JAVA_INT, JAVA_INT), "cuFuncSetAttribute");
    private static final MethodHandle LAUNCH_KERNEL = bind(result(ADDRESS,
            JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
            "cuLaunchKernel");

    static int cuModuleLoadDataEx(MemorySegment module, MemorySegment image, int optionCount,
                                  MemorySegment options, MemorySegment optionValues) {
        try {
            return (int) MODULE_LOAD_DATA_EX.invokeExact(module, image, optionCount, options, optionValues);
        } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuModuleGetFunction(MemorySegment function, MemorySegment module, MemorySegment name) {
        try { return (int) MODULE_GET_FUNCTION.invokeExact(function, module, name); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuModuleUnload(MemorySegment module) {
        try { return (int) MODULE_UNLOAD.invokeExact(module); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuFuncGetAttribute(MemorySegment value, int attribute, MemorySegment function) {
        try { return (int) FUNC_GET_ATTRIBUTE.invokeExact(value, attribute, function); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuFuncSetAttribute(MemorySegment function, int attribute, int value) {
        try { return (int) FUNC_SET_ATTRIBUTE.invokeExact(function, attribute, value); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuLaunchKernel(MemorySegment function, int gridX, int gridY, int gridZ,
                              int blockX, int blockY, int blockZ, int sharedBytes,
                              MemorySegment stream, MemorySegment kernelParams, MemorySegment extra) {
        try {
            return (int) LAUNCH_KERNEL.invokeExact(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                    sharedBytes, stream, kernelParams, extra);
        } catch (Throwable t) { throw unchecked(t); }
    }

    // ---- tensor maps (TMA descriptors; CUDA 12.0+ drivers)

    private static final MethodHandle TENSOR_MAP_ENCODE_TILED = bind(result(ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS,
            ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), "cuTensorMapEncodeTiled");

    /**
     * cuTensorMapEncodeTiled(tensorMap, dataType, rank, globalAddress, globalDim, globalStrides,
     * boxDim, elementStrides, interleave, swizzle, l2Promotion, oobFill): dimensions innermost
     * first; {@code globalStrides} in bytes, rank − 1 of them (the innermost is the element size).
     */
    static int cuTensorMapEncodeTiled(MemorySegment tensorMap, int dataType, int rank, long globalAddress, MemorySegment globalDim,
                                      MemorySegment globalStrides, MemorySegment boxDim, MemorySegment elementStrides,
                                      int interleave, int swizzle, int l2Promotion, int oobFill) {
        try {
            return (int) TENSOR_MAP_ENCODE_TILED.invokeExact(tensorMap, dataType, rank, globalAddress, globalDim, globalStrides, boxDim,
                    elementStrides, interleave, swizzle, l2Promotion, oobFill);
        } catch (Throwable t) { throw unchecked(t); }
    }

    // ---- linker (PTX -> cubin)

    private static final MethodHandle LINK_CREATE = bind(result(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), "cuLinkCreate_v2");
    private static final MethodHandle LINK_ADD_DATA = bind(result(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS,
            JAVA_INT, ADDRESS, ADDRESS), "cuLinkAddData_v2");
    private static final MethodHandle LINK_COMPLETE = bind(result(ADDRESS, ADDRESS, ADDRESS), "cuLinkComplete");
    private static final MethodHandle LINK_DESTROY = bind(result(ADDRESS), "cuLinkDestroy");

    static int cuLinkCreate(int optionCount, MemorySegment options, MemorySegment optionValues, MemorySegment state) {
        try { return (int) LINK_CREATE.invokeExact(optionCount, options, optionValues, state); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuLinkAddData(MemorySegment state, int inputType, MemorySegment data, long bytes, MemorySegment name,
                             int optionCount, MemorySegment options, MemorySegment optionValues) {
        try {
            return (int) LINK_ADD_DATA.invokeExact(state, inputType, data, bytes, name, optionCount, options, optionValues);
        } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuLinkComplete(MemorySegment state, MemorySegment image, MemorySegment bytes) {
        try { return (int) LINK_COMPLETE.invokeExact(state, image, bytes); } catch (Throwable t) { throw unchecked(t); }
    }

    static int cuLinkDestroy(MemorySegment state) {
        try { return (int) LINK_DESTROY.invokeExact(state); } catch (Throwable t) { throw unchecked(t); }
    }
}
