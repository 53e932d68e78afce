package dev.tessera.cuda.driver;

/**
 * A cubin the driver's linker produced from PTX: the bytes to store in a disk cache and later give to
 * {@link CudaContext#loadCubin(byte[])}, and the linker's informational log (ptxas's register and
 * spill report, since the link runs with verbose logging).
 */
public record CubinImage(byte[] bytes, String infoLog) {}
