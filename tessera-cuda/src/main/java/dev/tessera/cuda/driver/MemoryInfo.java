package dev.tessera.cuda.driver;

/** Device memory as cuMemGetInfo reports it; other processes' allocations count as used. */
public record MemoryInfo(long freeBytes, long totalBytes) {}
