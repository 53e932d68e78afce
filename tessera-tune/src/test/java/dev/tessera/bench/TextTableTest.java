package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class TextTableTest {

    @Test
    void rendersFixedWidthWithNumbersRightAligned() {
        TextTable t = TextTable.of("kernel", "N", "GB/s");
        t.addRow("softmax", "256", "12.5");
        t.addRow("rms_norm", "16384", "3549.2");
        assertEquals("""
                kernel        N    GB/s
                --------  -----  ------
                softmax     256    12.5
                rms_norm  16384  3549.2
                """, t.render());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        t.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertEquals(t.render(), bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void alignmentCanBeForcedAndMissingValuesStayNumeric() {
        TextTable t = TextTable.of("a", "b").align(0, TextTable.Align.RIGHT).align(1, TextTable.Align.LEFT);
        t.addRow("x", "1");
        t.addRow("yyy", "222");
        assertEquals("  a  b\n---  ---\n  x  1\nyyy  222\n", t.render());
        TextTable gaps = TextTable.of("value").addRow("-").addRow("1e-05").addRow("12%").addRow("");
        assertEquals("value\n-----\n    -\n1e-05\n  12%\n\n", gaps.render());
    }

    @Test
    void markdownEscapesPipesAndAlignsNumbers() {
        TextTable t = TextTable.of("name", "ms").addRow("a|b", "1.5").addRow("multi\nline", "2");
        assertEquals("""
                | name | ms |
                |---|---:|
                | a\\|b | 1.5 |
                | multi line | 2 |
                """, t.toMarkdown());
        assertEquals(2, t.rowCount());
    }

    @Test
    void rowsMustMatchTheHeader() {
        TextTable t = TextTable.of("a", "b");
        assertThrows(IllegalArgumentException.class, () -> t.addRow("only one"));
        assertThrows(IllegalArgumentException.class, TextTable::of);
        assertEquals("a  b\n-  -\n", t.render());
    }

    @Test
    void wideCharactersCountAsOneColumnEach() {
        TextTable t = TextTable.of("k", "v").addRow("😀", "1");
        assertEquals("k  v\n-  -\n😀  1\n", t.render());
    }
}
