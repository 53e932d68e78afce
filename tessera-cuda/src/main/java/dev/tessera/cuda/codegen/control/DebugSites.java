package dev.tessera.cuda.codegen.control;

import dev.tessera.ir.Loc;
import java.util.ArrayList;
import java.util.List;

/**
 * The places in a kernel that can stop it with a message (device assertions, a loop whose step is
 * not positive). A failing thread writes {@code index + 1} of its site into the per-context error
 * record, which the host reads back at synchronization to raise the fault with this text.
 */
public final class DebugSites {
    /** One site: where it is, what it says, and whether it is a user's device assertion (else a runtime check). */
    public record Site(Loc loc, String message, boolean assertion) {}

    /** Byte offsets in the error record, as 32-bit words: site+1, program x, y, z, element, thread, kernel id. */
    public static final int RECORD_WORDS = 8;

    private final List<Site> sites = new ArrayList<>();

    public DebugSites() {}

    /** The sites of a kernel restored from a cache. */
    public static DebugSites of(List<Site> sites) {
        DebugSites d = new DebugSites();
        d.sites.addAll(sites);
        return d;
    }

    int add(Loc loc, String message, boolean assertion) {
        sites.add(new Site(loc, message, assertion));
        return sites.size() - 1;
    }

    /** Whether any site is a device assertion: such kernels report a failure from the launch itself, as the CPU does. */
    public boolean hasAssertions() { return sites.stream().anyMatch(Site::assertion); }

    public List<Site> sites() { return List.copyOf(sites); }

    public boolean isEmpty() { return sites.isEmpty(); }
}
