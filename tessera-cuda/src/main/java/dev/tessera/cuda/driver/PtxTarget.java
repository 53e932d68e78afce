package dev.tessera.cuda.driver;

/**
 * The {@code .version} and {@code .target} a PTX module for a device should carry: the device's
 * architecture, and the newest PTX ISA the installed driver can JIT (a driver rejects a newer ISA
 * than it knows, while a newer ISA unlocks newer instructions).
 *
 * @param isaMajor  PTX ISA version, major (the {@code 9} of {@code .version 9.0})
 * @param isaMinor  PTX ISA version, minor
 * @param arch      the {@code .target} architecture, e.g. {@code sm_90a}
 */
public record PtxTarget(int isaMajor, int isaMinor, String arch) {

    /** The oldest driver supported: CUDA 12.0, the first whose PTX (8.0) can target sm_90a. */
    public static final int MIN_DRIVER_VERSION = 12000;

    // First driver version (1000 * major + 10 * minor) able to load each PTX ISA (10 * major + minor),
    // from the release history in NVIDIA's PTX ISA manual. 12.6 brought no new ISA; there was no
    // public 12.7 toolkit, but its ISA 8.6 is listed. A driver newer than the last row gets that row.
    private static final int[][] FIRST_DRIVER_FOR_ISA = {
            {12000, 80}, {12010, 81}, {12020, 82}, {12030, 83}, {12040, 84}, {12050, 85},
            {12070, 86}, {12080, 87}, {12090, 88}, {13000, 90}, {13010, 91},
    };

    /** The target for code to run on {@code device} under a driver of version {@code driverVersion}. */
    public static PtxTarget forDevice(CudaDevice device, int driverVersion) {
        return of(device.computeMajor(), device.computeMinor(), driverVersion);
    }

    /**
     * The target for compute capability {@code major.minor} under a driver of version
     * {@code driverVersion} (as cuDriverGetVersion reports it: 12080 is CUDA 12.8).
     */
    public static PtxTarget of(int computeMajor, int computeMinor, int driverVersion) {
        if (driverVersion < MIN_DRIVER_VERSION) {
            throw new IllegalArgumentException("CUDA driver " + CudaDriver.versionText(driverVersion)
                    + " is older than " + CudaDriver.versionText(MIN_DRIVER_VERSION) + ", the oldest Tessera supports");
        }
        int isa = 0;
        for (int[] row : FIRST_DRIVER_FOR_ISA) {
            if (driverVersion >= row[0]) isa = row[1];
        }
        return new PtxTarget(isa / 10, isa % 10, arch(computeMajor, computeMinor));
    }

    // Hopper's wgmma and setmaxnreg exist only in the architecture-specific sm_90a; code built for
    // it runs on compute capability 9.0 alone, which is what a per-device JIT target wants.
    private static String arch(int computeMajor, int computeMinor) {
        String arch = "sm_" + computeMajor + computeMinor;
        return computeMajor == 9 && computeMinor == 0 ? arch + "a" : arch;
    }

    /** {@code 9.0}, as written after {@code .version}. */
    public String version() {
        return isaMajor + "." + isaMinor;
    }

    /** The first lines of a PTX module: {@code .version}, {@code .target} and {@code .address_size 64}. */
    public String header() {
        return ".version " + version() + "\n.target " + arch + "\n.address_size 64\n";
    }
}
