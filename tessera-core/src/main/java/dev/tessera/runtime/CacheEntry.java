package dev.tessera.runtime;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.ir.Parser;
import dev.tessera.ir.Printer;
import dev.tessera.ir.Region;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a disk cache entry holds: the traced and the optimized IR as text (with source locations)
 * and the backend's bytes. The key ignores source locations, so that moving a kernel within its
 * file still hits; the locations of the optimized IR are then moved to where the same traced ops
 * are now, so that fault messages name today's lines.
 */
record CacheEntry(String traced, String optimized, byte[] backend) {

    static CacheEntry of(KernelIR traced, KernelIR optimized, byte[] backend) {
        return new CacheEntry(Printer.print(traced), Printer.print(optimized), backend);
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            for (byte[] part : List.of(traced.getBytes(StandardCharsets.UTF_8), optimized.getBytes(StandardCharsets.UTF_8), backend)) {
                out.writeInt(part.length);
                out.write(part);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    /** Reads an entry's payload; fails with IllegalArgumentException if it is not one. */
    static CacheEntry decode(byte[] payload) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
            byte[][] parts = new byte[3][];
            for (int i = 0; i < parts.length; i++) {
                int n = in.readInt();
                if (n < 0 || n > in.available()) throw new IllegalArgumentException("bad section length " + n);
                parts[i] = in.readNBytes(n);
            }
            if (in.available() != 0) throw new IllegalArgumentException("bytes after the last section");
            return new CacheEntry(new String(parts[0], StandardCharsets.UTF_8), new String(parts[1], StandardCharsets.UTF_8), parts[2]);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated cache entry", e);
        }
    }

    /**
     * The optimized IR, with its source locations moved to where {@code current} (the same kernel
     * traced now) has them; null when the locations cannot be matched one to one.
     */
    KernelIR optimizedFor(KernelIR current) {
        List<Loc> then = new ArrayList<>(), now = new ArrayList<>();
        locations(Parser.parse(traced).body(), then);
        locations(current.body(), now);
        if (then.size() != now.size()) return null;
        Map<String, Loc> moved = new HashMap<>();
        for (int i = 0; i < then.size(); i++) {
            Loc previous = moved.putIfAbsent(then.get(i).toString(), now.get(i));
            if (previous != null && !previous.equals(now.get(i))) return null; // one old line became two
        }
        KernelIR ir = Parser.parse(optimized);
        return ir.withBody(relocate(ir.body(), moved));
    }

    private static void locations(Region r, List<Loc> into) {
        for (Op op : r.ops()) {
            into.add(op.loc());
            op.regions().forEach(nested -> locations(nested, into));
        }
    }

    private static Region relocate(Region r, Map<String, Loc> moved) {
        return new Region(r.args(), r.ops().stream().map(op -> {
            Op at = op.withLoc(moved.getOrDefault(op.loc().toString(), op.loc()));
            return at.regions().isEmpty() ? at : at.mapRegions(nested -> relocate(nested, moved));
        }).toList());
    }
}
