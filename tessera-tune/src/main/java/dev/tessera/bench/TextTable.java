package dev.tessera.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A table of text cells rendered either fixed-width for the console or as Markdown. Columns whose
 * cells all look numeric are right-aligned unless an alignment is set explicitly.
 *
 * <pre>{@code
 * TextTable t = TextTable.of("N", "tessera", "java");
 * t.addRow("256", "12.3", "10.1");
 * t.print(System.out);
 *     N  tessera  java
 *   ---  -------  ----
 *   256     12.3  10.1
 * }</pre>
 */
public final class TextTable {

    /** Horizontal alignment of a column. */
    public enum Align { LEFT, RIGHT, AUTO }

    private static final Pattern NUMERIC = Pattern.compile("[-+]?(\\d[\\d,_]*)?(\\.\\d+)?([eE][-+]?\\d+)?%?|-|inf|-inf|nan");

    private final List<String> headers;
    private final Align[] aligns;
    private final List<List<String>> rows = new ArrayList<>();

    /** A table with these column headers. */
    public TextTable(List<String> headers) {
        if (headers.isEmpty()) throw new IllegalArgumentException("a table needs at least one column");
        this.headers = List.copyOf(headers);
        this.aligns = new Align[headers.size()];
        Arrays.fill(aligns, Align.AUTO);
    }

    /** A table with these column headers. */
    public static TextTable of(String... headers) {
        return new TextTable(List.of(headers));
    }

    /** Sets the alignment of column {@code column}. */
    public TextTable align(int column, Align align) {
        aligns[column] = align;
        return this;
    }

    /** Appends a row; it must have one cell per column ({@code null} cells print empty). */
    public TextTable addRow(List<String> cells) {
        if (cells.size() != headers.size()) {
            throw new IllegalArgumentException("row has " + cells.size() + " cells, the table " + headers.size() + " columns");
        }
        List<String> row = new ArrayList<>(cells.size());
        for (String c : cells) row.add(c == null ? "" : c.replace('\n', ' ').replace('\r', ' '));
        rows.add(row);
        return this;
    }

    /** Appends a row of cells. */
    public TextTable addRow(String... cells) {
        return addRow(Arrays.asList(cells));
    }

    /** Number of data rows. */
    public int rowCount() {
        return rows.size();
    }

    /** Fixed-width text: header, a rule of dashes, rows; columns two spaces apart; ends with a newline. */
    public String render() {
        int[] w = widths();
        StringBuilder sb = new StringBuilder();
        line(sb, headers, w);
        List<String> rule = new ArrayList<>();
        for (int width : w) rule.add("-".repeat(width));
        line(sb, rule, w);
        for (List<String> row : rows) line(sb, row, w);
        return sb.toString();
    }

    /** A GitHub-flavoured Markdown table (pipes in cells escaped); ends with a newline. */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        mdLine(sb, headers);
        sb.append('|');
        for (int c = 0; c < headers.size(); c++) sb.append(right(c) ? "---:|" : "---|");
        sb.append('\n');
        for (List<String> row : rows) mdLine(sb, row);
        return sb.toString();
    }

    /** Prints {@link #render()} to {@code out}. */
    public void print(PrintStream out) {
        out.print(render());
        out.flush();
    }

    @Override
    public String toString() {
        return render();
    }

    private void line(StringBuilder sb, List<String> cells, int[] w) {
        StringBuilder ln = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            if (c > 0) ln.append("  ");
            String s = cells.get(c);
            int pad = w[c] - width(s);
            if (right(c)) ln.append(" ".repeat(pad)).append(s);
            else ln.append(s).append(" ".repeat(pad));
        }
        sb.append(ln.toString().stripTrailing()).append('\n');
    }

    private static void mdLine(StringBuilder sb, List<String> cells) {
        sb.append('|');
        for (String s : cells) sb.append(' ').append(s.replace("|", "\\|")).append(" |");
        sb.append('\n');
    }

    private int[] widths() {
        int[] w = new int[headers.size()];
        for (int c = 0; c < w.length; c++) w[c] = width(headers.get(c));
        for (List<String> row : rows) for (int c = 0; c < w.length; c++) w[c] = Math.max(w[c], width(row.get(c)));
        return w;
    }

    private boolean right(int c) {
        return switch (aligns[c]) {
            case LEFT -> false;
            case RIGHT -> true;
            case AUTO -> !rows.isEmpty() && rows.stream().allMatch(r -> r.get(c).isEmpty() || NUMERIC.matcher(r.get(c)).matches());
        };
    }

    private static int width(String s) {
        return s.codePointCount(0, s.length());
    }
}
