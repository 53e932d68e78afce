package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsLogTest {

    static final LocalDate DAY = LocalDate.of(2025, 1, 2);

    @Test
    void recordFormat() {
        ResultRecord r = ResultRecord.of("softmax", "4096x4096", "f32", "tessera", 0.0472391234567, "GBps", 2841.123456789,
                "NVIDIA H200", DAY);
        assertEquals("{\"kernel\":\"softmax\",\"shape\":\"4096x4096\",\"dtype\":\"f32\",\"provider\":\"tessera\","
                + "\"ms\":0.0472391,\"GBps\":2841.12,\"device\":\"NVIDIA H200\",\"date\":\"2025-01-02\"}", r.toJson());
        ResultRecord t = ResultRecord.of("matmul", "4096³", "bf16", "cuBLAS \"ref\"", 0.2, "TFLOPs", 687.2, "NVIDIA H200", DAY);
        assertTrue(t.toJson().contains("\"provider\":\"cuBLAS \\\"ref\\\"\",\"ms\":0.2,\"TFLOPs\":687.2,"), t.toJson());
        ResultRecord noMetric = ResultRecord.of("k", "s", "f16", "p", 1.5, null, 0, "cpu", DAY);
        assertEquals("{\"kernel\":\"k\",\"shape\":\"s\",\"dtype\":\"f16\",\"provider\":\"p\",\"ms\":1.5,\"device\":\"cpu\",\"date\":\"2025-01-02\"}",
                noMetric.toJson());
    }

    @Test
    void appendAndReadBack(@TempDir Path dir) throws Exception {
        ResultsLog log = ResultsLog.forDevice(dir.resolve("nested/results"), "NVIDIA H200 (SXM, 141 GB)", DAY);
        assertEquals(dir.resolve("nested/results/2025-01-02-nvidia-h200-sxm-141-gb.jsonl"), log.file());
        assertEquals(List.of(), log.read());
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("config", "BM=128 BN=64");
        extra.put("stages", 3L);
        ResultRecord a = ResultRecord.of("softmax", "1024x1024", "f32", "tessera", 0.25, "GBps", 33.5, "NVIDIA H200", DAY);
        ResultRecord b = new ResultRecord("matmul", "1024³", "bf16", "tessera\ttuned", 1.0, "TFLOPs", 2.5, "NVIDIA H200", DAY, extra);
        log.append(a);
        log.append(List.of(b, a));
        List<String> lines = Files.readAllLines(log.file());
        assertEquals(3, lines.size());
        assertTrue(lines.get(1).endsWith("\"date\":\"2025-01-02\",\"config\":\"BM=128 BN=64\",\"stages\":3}"), lines.get(1));
        assertEquals(List.of(a, b, a), log.read());
    }

    @Test
    void badLinesAreReportedWithTheirNumber(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.jsonl");
        Files.writeString(f, ResultRecord.of("k", "s", "f32", "p", 1, null, 0, "d", DAY).toJson() + "\n\n{\"kernel\":1}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResultsLog.at(f).read());
        assertTrue(e.getMessage().startsWith(f + ":3: "), e.getMessage());
    }

    @Test
    void clashingKeysAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ResultRecord.of("k", "s", "d", "p", 1, "ms", 1, "d", DAY));
        assertThrows(IllegalArgumentException.class, () -> ResultRecord.of("k", "s", "d", "p", 1, "device", 1, "d", DAY));
        assertThrows(IllegalArgumentException.class,
                () -> new ResultRecord("k", "s", "d", "p", 1, "GBps", 1, "d", DAY, Map.of("GBps", 2)));
        assertThrows(NullPointerException.class, () -> ResultRecord.of(null, "s", "d", "p", 1, null, 0, "d", DAY));
    }

    @Test
    void slugsAndDefaults() {
        assertEquals("nvidia-h200", ResultsLog.slug("NVIDIA H200"));
        assertEquals("amd-epyc-7b13-64-core-processor-2-threads", ResultsLog.slug("AMD EPYC 7B13 64-Core Processor (2 threads)"));
        assertEquals("device", ResultsLog.slug("日本"));
        assertTrue(ResultsLog.slug("x".repeat(100)).length() <= 64);
    }

    @Test
    void resultsGoToTheUsersDataDirectoryNotTheWorkingOne() {
        Map<String, String> home = Map.of("user.home", "/home/u");
        assertEquals(Path.of("/home/u/.local/share/tessera/results"), ResultsLog.defaultDir(home, Map.of()));
        assertEquals(Path.of("/data/tessera/results"), ResultsLog.defaultDir(home, Map.of("XDG_DATA_HOME", "/data")));
        assertEquals(Path.of("/tmp/elsewhere"), ResultsLog.defaultDir(Map.of("user.home", "/home/u", ResultsLog.DIR_PROPERTY, "/tmp/elsewhere"),
                Map.of("XDG_DATA_HOME", "/data")), "scripts/gpu-report keeps its results where it says");
    }
}
