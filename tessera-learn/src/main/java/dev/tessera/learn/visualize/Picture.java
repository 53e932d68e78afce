package dev.tessera.learn.visualize;

import dev.tessera.cpu.AccessRecorder.Kind;
import dev.tessera.learn.visualize.Recording.Program;
import dev.tessera.learn.visualize.Recording.TensorInfo;
import dev.tessera.learn.visualize.Recording.Touch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where each tensor's cells go in a drawing of a {@link Recording}, and the SVG for it: a grid per
 * tensor (1-D tensors wrap every {@value #WRAP} elements, 3-D tensors stack their matrices), with
 * ghost rows above and below for out-of-bounds accesses, and one overlay per program colouring the
 * cells it loaded, stored, masked off or read out of bounds.
 */
public final class Picture {
    public static final int WRAP = 32;
    static final int MARGIN = 10, TITLE = 20, COL_LABELS = 12, ROW_LABELS = 36, PANEL_GAP = 18, GHOST_MAX = 4, LEGEND = 28;
    /** Panels go left to right until a row of them would be wider than this. */
    static final int MAX_WIDTH = 1400;

    /** Cell colours, shared with the page's legend and the tests. */
    public enum Shade {
        UNTOUCHED("#ffffff", "not touched"),
        PADDING("#ececec", "padding (outside the tensor's columns)"),
        LOADED("#3b7ddd", "loaded"),
        STORED("#2e9e4f", "stored"),
        LOADED_AND_STORED("#8e5cc7", "loaded and stored"),
        ATOMIC("#f28e1c", "atomic"),
        MASKED("#b8b8b8", "masked off (lane inactive)"),
        OUT_OF_BOUNDS("#e0282e", "out of bounds");

        public final String rgb, words;

        Shade(String rgb, String words) {
            this.rgb = rgb;
            this.words = words;
        }

        public int argb() { return 0xFF000000 | Integer.parseInt(rgb.substring(1), 16); }
    }

    /** Where one tensor's grid is drawn. */
    public static final class Panel {
        final int index;
        final TensorInfo tensor;
        final int cols, rowsPerBatch, batches, cell;
        final int ghostAbove, ghostBelow;
        int top, left; // where the panel's title starts
        int gridTop, gridLeft; // y of row 0 (after ghost rows above), x of column 0

        Panel(int index, TensorInfo t, int ghostAbove, int ghostBelow) {
            this.index = index;
            this.tensor = t;
            long[] s = t.shape();
            if (s.length <= 1) {
                long n = s.length == 0 ? 1 : s[0];
                cols = (int) Math.min(n, WRAP);
                rowsPerBatch = (int) Math.max(1, (n + cols - 1) / Math.max(1, cols));
                batches = 1;
            } else {
                cols = (int) s[s.length - 1];
                rowsPerBatch = (int) s[s.length - 2];
                long b = 1;
                for (int i = 0; i < s.length - 2; i++) b *= s[i];
                batches = (int) b;
            }
            int rows = gridRows();
            cell = cols > 100 || rows > 120 ? 6 : cols > 64 || rows > 64 ? 10 : cols > 40 || rows > 32 ? 12 : 16;
            this.ghostAbove = ghostAbove;
            this.ghostBelow = ghostBelow;
        }

        /** The drawn row of element e (rows of later matrices include a one-row gap between matrices). */
        long row(long e) {
            int c = Math.max(1, cols);
            if (batches == 1) return Math.floorDiv(e, c);
            long perBatch = (long) rowsPerBatch * c;
            long b = Math.floorDiv(e, perBatch), r = Math.floorMod(e, perBatch) / c;
            return b * (rowsPerBatch + 1) + r;
        }

        int col(long e) { return (int) Math.floorMod(e, Math.max(1, cols)); }

        /** Rows the grid has, gaps between matrices included. */
        int gridRows() { return batches * rowsPerBatch + (batches - 1); }

        boolean drawable(long e) {
            long r = row(e);
            return r >= -ghostAbove && r < gridRows() + ghostBelow;
        }

        int x(long e) { return gridLeft + col(e) * cell; }

        int y(long e) { return (int) (gridTop + row(e) * cell); }

        int width() { return Math.max(ROW_LABELS + Math.max(1, cols) * cell, (int) Math.ceil(7.6 * title(tensor).length())); }

        int height() { return TITLE + COL_LABELS + (ghostAbove + gridRows() + ghostBelow) * cell; }
    }

    private final Recording recording;
    private final List<Panel> panels = new ArrayList<>();
    private final int width, height;

    public Picture(Recording recording) {
        this.recording = recording;
        List<TensorInfo> ts = recording.tensors();
        int rowTop = MARGIN + LEGEND, x = MARGIN, rowHeight = 0, w = 0;
        for (int i = 0; i < ts.size(); i++) {
            Panel probe = new Panel(i, ts.get(i), 0, 0);
            long minRow = 0, maxRow = probe.gridRows() - 1;
            for (Program p : recording.programs()) {
                for (Touch t : p.touches()) {
                    if (t.tensor() != i) continue;
                    long r = probe.row(t.element());
                    minRow = Math.min(minRow, r);
                    maxRow = Math.max(maxRow, r);
                }
            }
            int above = (int) Math.min(GHOST_MAX, -minRow), below = (int) Math.min(GHOST_MAX, maxRow - (probe.gridRows() - 1));
            Panel panel = new Panel(i, ts.get(i), above, below);
            if (x > MARGIN && x + panel.width() > MAX_WIDTH) { // start a new row of panels
                rowTop += rowHeight + PANEL_GAP;
                x = MARGIN;
                rowHeight = 0;
            }
            panel.left = x;
            panel.top = rowTop;
            panel.gridLeft = x + ROW_LABELS;
            panel.gridTop = rowTop + TITLE + COL_LABELS + above * panel.cell;
            x += panel.width() + 2 * PANEL_GAP;
            rowHeight = Math.max(rowHeight, panel.height());
            w = Math.max(w, x - 2 * PANEL_GAP);
            panels.add(panel);
        }
        width = Math.max(w, MARGIN + legendWidth()) + MARGIN;
        height = rowTop + rowHeight + MARGIN;
    }

    public Recording recording() { return recording; }

    List<Panel> panels() { return panels; }

    public int width() { return width; }

    public int height() { return height; }

    /** The centre of element {@code e} of tensor {@code name}, in the picture's coordinates; null if not drawn. */
    public int[] cellCenter(String name, long e) {
        for (Panel p : panels) {
            if (p.tensor.name().equals(name)) return p.drawable(e) ? new int[] {p.x(e) + p.cell / 2, p.y(e) + p.cell / 2} : null;
        }
        throw new IllegalArgumentException("no tensor " + name);
    }

    // ------------------------------------------------------------------ what a program did to each cell

    /** What one program did to one element. */
    static final class CellState {
        int loads, stores, atomics, masked;
        boolean outOfBounds;
        final Set<String> sites = new LinkedHashSet<>();

        Shade shade() {
            if (outOfBounds) return Shade.OUT_OF_BOUNDS;
            if (loads > 0 && stores > 0) return Shade.LOADED_AND_STORED;
            if (stores > 0) return Shade.STORED;
            if (atomics > 0) return Shade.ATOMIC;
            if (loads > 0) return Shade.LOADED;
            return Shade.MASKED;
        }

        int count() { return loads + stores + atomics; }
    }

    /** Per tensor, element → state, for one program. */
    static List<Map<Long, CellState>> states(Program p, int tensors) {
        List<Map<Long, CellState>> out = new ArrayList<>();
        for (int i = 0; i < tensors; i++) out.add(new TreeMap<>());
        for (Touch t : p.touches()) {
            if (t.tensor() < 0) continue;
            CellState s = out.get(t.tensor()).computeIfAbsent(t.element(), k -> new CellState());
            if (t.masked()) s.masked++;
            else if (t.outOfBounds()) s.outOfBounds = true;
            else if (t.kind() == Kind.LOAD) s.loads++;
            else if (t.kind() == Kind.STORE) s.stores++;
            else s.atomics++;
            s.sites.add(t.kind().name().toLowerCase(Locale.ROOT) + (t.masked() ? " (masked off)" : t.outOfBounds() ? " (OUT OF BOUNDS)" : "")
                    + " at " + t.site());
        }
        return out;
    }

    // ------------------------------------------------------------------ SVG

    /** The whole picture for one program (by index in launch order) as a standalone SVG. */
    public String svg(int program) {
        StringBuilder b = new StringBuilder();
        open(b, width, height);
        legend(b, MARGIN, MARGIN);
        for (Panel p : panels) background(b, p);
        overlay(b, program, null);
        return b.append("</svg>\n").toString();
    }

    /** One tensor's grid for one program, as a standalone SVG. */
    public String svg(int program, String tensorName) {
        Panel p = panels.stream().filter(q -> q.tensor.name().equals(tensorName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no tensor " + tensorName));
        int dx = p.left - MARGIN, dy = p.top - MARGIN - LEGEND;
        StringBuilder b = new StringBuilder();
        open(b, Math.max(p.width(), legendWidth()) + 2 * MARGIN, p.height() + 2 * MARGIN + LEGEND);
        legend(b, MARGIN, MARGIN);
        b.append("<g transform=\"translate(").append(-dx).append(',').append(-dy).append(")\">\n");
        background(b, p);
        overlay(b, program, p.tensor.name());
        b.append("</g>\n");
        return b.append("</svg>\n").toString();
    }

    static void open(StringBuilder b, int w, int h) {
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(h)
                .append("\" viewBox=\"0 0 ").append(w).append(' ').append(h).append("\" font-family=\"sans-serif\">\n")
                .append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    }

    private static String legendLabel(Shade s) {
        return switch (s) {
            case UNTOUCHED -> "untouched";
            case PADDING -> "padding";
            case LOADED_AND_STORED -> "loaded+stored";
            case MASKED -> "masked off";
            case OUT_OF_BOUNDS -> "out of bounds";
            default -> s.words;
        };
    }

    /** How wide the colour key is. */
    static int legendWidth() {
        int w = 0;
        for (Shade s : Shade.values()) w += 22 + legendLabel(s).length() * 6;
        return w;
    }

    /** The colour key, one row at (x, y). */
    static void legend(StringBuilder b, int x, int y) {
        int cx = x;
        for (Shade s : Shade.values()) {
            b.append("<rect x=\"").append(cx).append("\" y=\"").append(y).append("\" width=\"12\" height=\"12\" fill=\"")
                    .append(s.rgb).append("\" stroke=\"#888\" stroke-width=\"0.5\"/>");
            String label = legendLabel(s);
            b.append("<text x=\"").append(cx + 15).append("\" y=\"").append(y + 10).append("\" font-size=\"11\" fill=\"#333\">")
                    .append(label).append("</text>\n");
            cx += 22 + label.length() * 6;
        }
    }

    /** "x  f32[6,12]  input, rows 14 apart". */
    static String title(TensorInfo t) {
        String shape = Arrays.toString(t.viewShape()).replace(" ", "");
        return t.name() + "  " + t.dtype() + shape + (t.output() ? "  output" : "  input")
                + (Arrays.equals(t.shape(), t.viewShape()) ? "" : ", rows " + t.shape()[t.shape().length - 1] + " apart");
    }

    /** A tensor's title, labels and untouched cells. */
    void background(StringBuilder b, Panel p) {
        TensorInfo t = p.tensor;
        String title = title(t);
        b.append("<g class=\"panel\" data-tensor=\"").append(esc(t.name())).append("\">\n");
        b.append("<text x=\"").append(p.left).append("\" y=\"").append(p.top + 14).append("\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">")
                .append(esc(title)).append("</text>\n");
        // column labels every 8 columns
        for (int c = 0; c < p.cols; c += 8) {
            b.append("<text x=\"").append(p.gridLeft + c * p.cell + 1).append("\" y=\"").append(p.top + TITLE + 9)
                    .append("\" font-size=\"9\" fill=\"#888\">").append(c).append("</text>");
        }
        b.append('\n');
        // ghost rows (out-of-bounds territory), drawn as a faint dashed band
        if (p.ghostAbove > 0) ghostBand(b, p, p.gridTop - p.ghostAbove * p.cell, p.ghostAbove);
        if (p.ghostBelow > 0) ghostBand(b, p, p.gridTop + p.gridRows() * p.cell, p.ghostBelow);
        long n = t.numel();
        // cells: rows of one colour are drawn as one path per colour to keep the file small
        StringBuilder white = new StringBuilder(), grey = new StringBuilder();
        for (long e = 0; e < n; e++) {
            (t.isPadding(e) ? grey : white).append('M').append(p.x(e)).append(' ').append(p.y(e)).append('h').append(p.cell)
                    .append('v').append(p.cell).append('h').append(-p.cell).append('z');
        }
        b.append("<path d=\"").append(white).append("\" fill=\"").append(Shade.UNTOUCHED.rgb).append("\" stroke=\"#c4c4c4\" stroke-width=\"0.6\"/>\n");
        if (!grey.isEmpty()) {
            b.append("<path d=\"").append(grey).append("\" fill=\"").append(Shade.PADDING.rgb).append("\" stroke=\"#c4c4c4\" stroke-width=\"0.6\"/>\n");
        }
        // row labels: the index of each row's first element (1-D) or the row (2-D, 3-D)
        int step = p.cell >= 16 ? 1 : p.cell >= 10 ? 2 : 5;
        for (int m = 0; m < p.batches; m++) {
            for (int r = 0; r < p.rowsPerBatch; r += step) {
                long first = ((long) m * p.rowsPerBatch + r) * p.cols;
                String label = t.shape().length <= 1 ? String.valueOf(first) : (p.batches > 1 && r == 0 ? m + ":" : "") + r;
                b.append("<text x=\"").append(p.gridLeft - 3).append("\" y=\"").append(p.y(first) + Math.min(p.cell, 12) - 2)
                        .append("\" font-size=\"").append(Math.min(10, p.cell)).append("\" text-anchor=\"end\" fill=\"#888\">")
                        .append(label).append("</text>");
            }
        }
        b.append("\n</g>\n");
    }

    private static void ghostBand(StringBuilder b, Panel p, int y, int rows) {
        b.append("<rect x=\"").append(p.gridLeft).append("\" y=\"").append(y).append("\" width=\"").append(p.cols * p.cell)
                .append("\" height=\"").append(rows * p.cell).append("\" fill=\"#fff5f5\" stroke=\"#e8a0a0\" stroke-dasharray=\"3 2\" stroke-width=\"0.8\"/>\n");
    }

    /** The cells program {@code index} touched (all tensors, or only {@code onlyTensor}). */
    void overlay(StringBuilder b, int index, String onlyTensor) {
        Program prog = recording.programs().get(index);
        List<Map<Long, CellState>> states = states(prog, panels.size());
        for (Panel p : panels) {
            if (onlyTensor != null && !p.tensor.name().equals(onlyTensor)) continue;
            Map<Shade, StringBuilder> paths = new LinkedHashMap<>();
            StringBuilder titles = new StringBuilder();
            for (Map.Entry<Long, CellState> e : states.get(p.index).entrySet()) {
                long el = e.getKey();
                if (!p.drawable(el)) continue;
                CellState s = e.getValue();
                int x = p.x(el), y = p.y(el);
                paths.computeIfAbsent(s.shade(), k -> new StringBuilder()).append('M').append(x).append(' ').append(y)
                        .append('h').append(p.cell).append('v').append(p.cell).append('h').append(-p.cell).append('z');
                // an invisible cell-sized target carrying the tooltip
                titles.append("<rect x=\"").append(x).append("\" y=\"").append(y).append("\" width=\"").append(p.cell)
                        .append("\" height=\"").append(p.cell).append("\" fill-opacity=\"0\"><title>")
                        .append(esc(p.tensor.name() + index(p.tensor, el) + ": " + describe(s) + "\n" + String.join("\n", s.sites)))
                        .append("</title></rect>");
                if (s.count() > 1 && p.cell >= 16) {
                    titles.append("<text x=\"").append(x + p.cell - 2).append("\" y=\"").append(y + p.cell - 3)
                            .append("\" font-size=\"8\" text-anchor=\"end\" fill=\"#fff\" pointer-events=\"none\">").append(s.count()).append("</text>");
                }
            }
            for (Map.Entry<Shade, StringBuilder> e : paths.entrySet()) {
                b.append("<path d=\"").append(e.getValue()).append("\" fill=\"").append(e.getKey().rgb)
                        .append("\" stroke=\"#555\" stroke-width=\"0.6\"")
                        .append(e.getKey() == Shade.MASKED ? " stroke-dasharray=\"2 1\"" : "").append("/>\n");
            }
            b.append(titles).append('\n');
        }
    }

    static String describe(CellState s) {
        List<String> parts = new ArrayList<>();
        if (s.outOfBounds) parts.add("OUT OF BOUNDS");
        if (s.loads > 0) parts.add("loaded" + (s.loads > 1 ? " " + s.loads + "×" : ""));
        if (s.stores > 0) parts.add("stored" + (s.stores > 1 ? " " + s.stores + "×" : ""));
        if (s.atomics > 0) parts.add("atomic" + (s.atomics > 1 ? " " + s.atomics + "×" : ""));
        if (s.masked > 0) parts.add("masked off" + (s.masked > 1 ? " " + s.masked + "×" : ""));
        return String.join(", ", parts);
    }

    /** "[3, 17]" for element e of the tensor's allocation (out-of-bounds indices as they fall). */
    static String index(TensorInfo t, long e) {
        long[] s = t.shape();
        if (s.length <= 1) return "[" + e + "]";
        long cols = s[s.length - 1];
        long[] idx = new long[s.length];
        idx[s.length - 1] = Math.floorMod(e, cols);
        long rest = Math.floorDiv(e, cols);
        for (int d = s.length - 2; d >= 1; d--) {
            idx[d] = Math.floorMod(rest, s[d]);
            rest = Math.floorDiv(rest, s[d]);
        }
        idx[0] = rest;
        StringBuilder b = new StringBuilder("[");
        for (int d = 0; d < idx.length; d++) b.append(d > 0 ? ", " : "").append(idx[d]);
        return b.append(']').toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
