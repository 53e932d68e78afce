package dev.tessera.cuda;

import dev.tessera.cuda.codegen.control.DebugSites;
import dev.tessera.cuda.codegen.PtxModule;
import dev.tessera.ir.Loc;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the disk cache keeps of a CUDA kernel: the PTX module's launch facts (entry, threads, shared
 * memory, argument kinds, tensor-map boxes, assertion sites), its text, and the cubin the driver's linker made, so a
 * later process loads the cubin without running the code generator or the JIT.
 */
final class KernelCodec {
    private KernelCodec() {}

    private static final int MAGIC = 0x54435533; // "TCU3": tensor-map boxes joined the launch facts

    record Decoded(PtxModule ptx, byte[] cubin) {}

    static byte[] encode(PtxModule m, byte[] cubin) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeUTF(m.entry());
            out.writeInt(m.threads());
            out.writeInt(m.sharedBytes());
            out.writeInt(m.params().size());
            for (PtxModule.ParamKind k : m.params()) out.writeByte(k.ordinal());
            out.writeInt(m.maps().size());
            for (var e : new java.util.TreeMap<>(m.maps()).entrySet()) {
                out.writeInt(e.getKey());
                out.writeInt(e.getValue().swizzleBytes());
                out.writeInt(e.getValue().dims().size());
                for (int d : e.getValue().dims()) out.writeInt(d);
            }
            List<DebugSites.Site> sites = m.debug().sites();
            out.writeInt(sites.size());
            for (DebugSites.Site s : sites) {
                out.writeUTF(s.loc().file());
                out.writeInt(s.loc().line());
                out.writeUTF(s.loc().method());
                writeLong(out, s.message());
                out.writeBoolean(s.assertion());
            }
            writeLong(out, m.ptx());
            out.writeInt(cubin.length);
            out.write(cubin);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The decoded entry, or null when the bytes are not one. */
    static Decoded decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            if (in.readInt() != MAGIC) return null;
            String entry = in.readUTF();
            int threads = in.readInt(), shared = in.readInt();
            List<PtxModule.ParamKind> params = new ArrayList<>();
            for (int i = in.readInt(); i > 0; i--) params.add(PtxModule.ParamKind.values()[in.readByte()]);
            java.util.Map<Integer, PtxModule.MapBox> maps = new java.util.HashMap<>();
            for (int i = in.readInt(); i > 0; i--) {
                int param = in.readInt(), swizzle = in.readInt();
                List<Integer> dims = new ArrayList<>();
                for (int d = in.readInt(); d > 0; d--) dims.add(in.readInt());
                maps.put(param, new PtxModule.MapBox(dims, swizzle));
            }
            List<DebugSites.Site> sites = new ArrayList<>();
            for (int i = in.readInt(); i > 0; i--) {
                Loc loc = new Loc(in.readUTF(), in.readInt(), in.readUTF());
                String message = readLong(in);
                sites.add(new DebugSites.Site(loc, message, in.readBoolean()));
            }
            String ptx = readLong(in);
            byte[] cubin = in.readNBytes(in.readInt());
            return new Decoded(new PtxModule(ptx, entry, threads, shared, params, maps, DebugSites.of(sites)), cubin);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void writeLong(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readLong(DataInputStream in) throws IOException {
        return new String(in.readNBytes(in.readInt()), StandardCharsets.UTF_8);
    }
}
