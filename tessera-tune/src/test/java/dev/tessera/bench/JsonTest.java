package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void escapesExactly() {
        assertEquals("\"a\\\"b\\\\c\"", JsonWriter.quote("a\"b\\c"));
        assertEquals("\"\\b\\f\\n\\r\\t\"", JsonWriter.quote("\b\f\n\r\t"));
        assertEquals("\"\\u0000\\u0001\\u001f\"", JsonWriter.quote("\u0000\u0001\u001f"));
        assertEquals("\"\u007f/\"", JsonWriter.quote("\u007f/"), "DEL and slash need no escape");
        assertEquals("\"\\u2028\\u2029\"", JsonWriter.quote("\u2028\u2029"));
        assertEquals("\"héllo 日本 😀\"", JsonWriter.quote("héllo 日本 😀"), "non-ASCII is written as is");
        assertEquals("\"\\ud800x\\udc00\"", JsonWriter.quote("\ud800x\udc00"), "lone surrogates are escaped");
    }

    @Test
    void stringsRoundTrip() {
        List<String> samples = new ArrayList<>(List.of("", "plain", "quote \" inside", "back\\slash", "\\\"", "tab\there",
                "line\nbreak\r\n", "nul\u0000byte", "bell\u0007", "unit sep\u001f", "del\u007f", "é ü ß ñ", "Ωμέγα",
                "中文字符", "emoji 😀🚀", "\u2028\u2029", "lone \ud83d high", "lone \ude00 low", "</script>", "a\\u0041"));
        StringBuilder every = new StringBuilder();
        for (char c = 0; c < 0x80; c++) every.append(c);
        samples.add(every.toString());
        long seed = new Random().nextLong();
        Random rnd = new Random(seed);
        for (int i = 0; i < 200; i++) {
            char[] cs = new char[rnd.nextInt(20)];
            for (int j = 0; j < cs.length; j++) cs[j] = (char) (rnd.nextBoolean() ? rnd.nextInt(0x80) : rnd.nextInt(0x10000));
            samples.add(new String(cs));
        }
        for (String s : samples) {
            String json = JsonWriter.quote(s);
            for (char c : json.toCharArray()) assertFalse(c < 0x20, "raw control character in " + json);
            assertEquals(s, JsonReader.parse(json), "seed " + seed + ": " + json);
        }
    }

    @Test
    void valuesRoundTrip() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kernel", "softmax \"fused\"");
        m.put("n", 4096L);
        m.put("big", Long.MAX_VALUE);
        m.put("ms", 0.0123);
        m.put("tiny", 1e-300);
        m.put("ok", true);
        m.put("no", false);
        m.put("none", null);
        m.put("list", List.of(1L, "two", 3.5, List.of(), Map.of()));
        m.put("nested", new LinkedHashMap<>(Map.of("k", "v")));
        String json = JsonWriter.write(m);
        assertEquals(m, JsonReader.parse(json));
        assertEquals(List.copyOf(m.keySet()), List.copyOf(JsonReader.parseObject(json).keySet()), "key order kept");
    }

    @Test
    void numbersAndArrays() {
        assertEquals("null", JsonWriter.write(Double.NaN));
        assertEquals("null", JsonWriter.write(Double.POSITIVE_INFINITY));
        assertEquals("null", JsonWriter.write(Float.NaN));
        assertEquals("1.0E-5", JsonWriter.write(1e-5));
        assertEquals(1e-5, JsonReader.parse("1.0E-5"));
        assertEquals("[1.5,null]", JsonWriter.write(new double[] {1.5, Double.NaN}));
        assertEquals("[1,2]", JsonWriter.write(new long[] {1, 2}));
        assertEquals("[3,4]", JsonWriter.write(new int[] {3, 4}));
        assertEquals("[\"a\",null]", JsonWriter.write(new Object[] {"a", null}));
        assertEquals("42", JsonWriter.write(42));
        assertEquals(-0.0, JsonReader.parse("-0.0"));
        assertEquals(12345678901234567890.0, JsonReader.parse("12345678901234567890"), "beyond long: double");
        assertEquals(List.of(1L, -2L, 2.5e3), JsonReader.parse(" [ 1 , -2 , 2.5e+3 ] "));
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.write(new Object()));
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.write(Map.of(1, "x")));
    }

    @Test
    void parserRejectsInvalidJson() {
        for (String bad : Arrays.asList("", "{", "[1,]", "{\"a\":1,}", "{a:1}", "'x'", "\"raw\ttab\"", "\"unterminated",
                "01", "1.", "-", ".5", "1e", "tru", "nul", "[1] 2", "{\"a\" 1}", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonReader.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("invalid JSON at offset"), e.getMessage());
        }
    }
}
