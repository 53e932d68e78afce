package dev.tessera.learn.visualize;

import dev.tessera.learn.visualize.Recording.Program;
import dev.tessera.learn.visualize.Recording.TensorInfo;
import dev.tessera.learn.visualize.Recording.Touch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A self-contained HTML page (inline SVG and script, nothing fetched) that steps through the
 * programs of a {@link Recording}: a slider, previous/next buttons and a number box choose the
 * program; the page shows which cells of each tensor it touched and lists its loads and stores with
 * their source lines. The address may name a program: {@code page.html#pid=3} (the fourth program in
 * launch order) or {@code page.html#pid=1,2} (programId(0) = 1, programId(1) = 2).
 */
public final class HtmlPage {
    private HtmlPage() {}

    /** Height of the control bar; the picture starts this far down the page, at its left edge. */
    public static final int HEADER = 104;

    public static String render(Picture picture, String title, String subtitle) {
        Recording rec = picture.recording();
        List<Program> programs = rec.programs();
        StringBuilder b = new StringBuilder(1 << 16);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>").append(Picture.esc(title)).append("</title>\n")
                .append("<style>\n")
                .append("body{margin:0;font-family:sans-serif;color:#222;background:#fff}\n")
                .append("#controls{position:absolute;top:0;left:0;right:0;height:").append(HEADER - 8)
                .append("px;padding:6px 10px;box-sizing:border-box;border-bottom:1px solid #ddd;background:#fafafa;overflow:hidden}\n")
                .append("#controls h1{font-size:16px;margin:0 0 2px 0}\n#controls .sub{font-size:12px;color:#666;margin-bottom:6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\n")
                .append("#controls button{font-size:13px}\n#slider{width:260px;vertical-align:middle}\n#index{width:56px}\n")
                .append("#pid{font-family:monospace;font-size:14px;margin-left:10px;font-weight:bold}\n")
                .append("#picture{position:absolute;top:").append(HEADER).append("px;left:0}\n")
                .append("#notes{position:absolute;left:10px;top:").append(HEADER + picture.height() + 8)
                .append("px;font-size:12px;font-family:monospace;white-space:pre;padding-bottom:20px}\n")
                .append(".program-notes{display:none}\n")
                .append("</style></head>\n<body>\n");
        // controls
        b.append("<div id=\"controls\">\n<h1>").append(Picture.esc(title)).append("</h1>\n<div class=\"sub\">").append(Picture.esc(subtitle)).append("</div>\n")
                .append("<button id=\"prev\" title=\"previous program\">&#9664; prev</button>\n")
                .append("<input id=\"slider\" type=\"range\" min=\"0\" max=\"").append(Math.max(0, programs.size() - 1)).append("\" value=\"0\">\n")
                .append("<button id=\"next\" title=\"next program\">next &#9654;</button>\n")
                .append("program <input id=\"index\" type=\"number\" min=\"0\" max=\"").append(Math.max(0, programs.size() - 1))
                .append("\" value=\"0\"> of ").append(programs.size()).append("\n<span id=\"pid\"></span>\n</div>\n");
        // the picture: backgrounds once, one overlay group per program
        StringBuilder svg = new StringBuilder();
        svg.append("<svg id=\"picture\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(picture.width()).append("\" height=\"")
                .append(picture.height()).append("\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        Picture.legend(svg, Picture.MARGIN, Picture.MARGIN);
        for (Picture.Panel p : picture.panels()) picture.background(svg, p);
        for (int i = 0; i < programs.size(); i++) {
            svg.append("<g class=\"program\" id=\"program-").append(i).append("\" style=\"display:none\">\n");
            picture.overlay(svg, i, null);
            svg.append("</g>\n");
        }
        svg.append("</svg>\n");
        b.append(svg);
        // notes: what each program did, access by access
        b.append("<div id=\"notes\">");
        if (rec.problem() != null) b.append("<div style=\"color:#b00\">").append(Picture.esc(rec.problem())).append("</div>\n");
        if (programs.isEmpty()) b.append("No program ran, so there is nothing to draw.\n");
        for (int i = 0; i < programs.size(); i++) {
            b.append("<div class=\"program-notes\" id=\"notes-").append(i).append("\">")
                    .append(Picture.esc(notes(rec, programs.get(i)))).append("</div>\n");
        }
        b.append("</div>\n");
        // the script
        b.append("<script>\nconst programs = [");
        for (int i = 0; i < programs.size(); i++) {
            Program p = programs.get(i);
            b.append(i > 0 ? "," : "").append('[').append(p.x()).append(',').append(p.y()).append(',').append(p.z()).append(']');
        }
        b.append("];\n").append(SCRIPT).append("</script>\n</body></html>\n");
        return b.toString();
    }

    private static final String SCRIPT = """
            const slider = document.getElementById('slider'), box = document.getElementById('index'), label = document.getElementById('pid');
            let current = -1;
            function clamp(i) { return Math.max(0, Math.min(programs.length - 1, i | 0)); }
            function fromHash() {
              const m = /pid=([0-9]+(?:,[0-9]+){0,2})/.exec(location.hash);
              if (!m) return 0;
              const parts = m[1].split(',').map(Number);
              if (parts.length === 1) return clamp(parts[0]);
              while (parts.length < 3) parts.push(0);
              const i = programs.findIndex(p => p[0] === parts[0] && p[1] === parts[1] && p[2] === parts[2]);
              return i < 0 ? 0 : i;
            }
            function show(i, updateHash) {
              if (programs.length === 0) { label.textContent = 'no programs'; return; }
              i = clamp(i);
              if (current >= 0) {
                document.getElementById('program-' + current).style.display = 'none';
                document.getElementById('notes-' + current).style.display = 'none';
              }
              current = i;
              document.getElementById('program-' + i).style.display = '';
              document.getElementById('notes-' + i).style.display = 'block';
              slider.value = i;
              box.value = i;
              const p = programs[i];
              label.textContent = 'programId = (' + p.join(', ') + ')';
              if (updateHash) { try { history.replaceState(null, '', '#pid=' + i); } catch (e) { location.hash = 'pid=' + i; } }
            }
            slider.addEventListener('input', () => show(+slider.value, true));
            box.addEventListener('change', () => show(+box.value, true));
            document.getElementById('prev').addEventListener('click', () => show(current - 1, true));
            document.getElementById('next').addEventListener('click', () => show(current + 1, true));
            document.addEventListener('keydown', e => {
              if (e.target === box) return;
              if (e.key === 'ArrowLeft') show(current - 1, true);
              if (e.key === 'ArrowRight') show(current + 1, true);
            });
            window.addEventListener('hashchange', () => show(fromHash(), false));
            show(fromHash(), false);
            """;

    /** One line per access site of the program: how many lanes were in bounds, masked off, out of bounds. */
    static String notes(Recording rec, Program p) {
        record Site(String kind, int tensor, String where) {}
        final class Counts {
            long lanes, active, masked, oob;
            long minIn = Long.MAX_VALUE, maxIn = Long.MIN_VALUE, minOob = Long.MAX_VALUE, maxOob = Long.MIN_VALUE;
        }
        Map<Site, Counts> sites = new LinkedHashMap<>();
        for (Touch t : p.touches()) {
            Counts c = sites.computeIfAbsent(new Site(t.kind().name().toLowerCase(Locale.ROOT), t.tensor(), t.site()), k -> new Counts());
            c.lanes++;
            if (t.masked()) {
                c.masked++;
            } else if (t.outOfBounds()) {
                c.oob++;
                c.minOob = Math.min(c.minOob, t.element());
                c.maxOob = Math.max(c.maxOob, t.element());
            } else {
                c.active++;
                c.minIn = Math.min(c.minIn, t.element());
                c.maxIn = Math.max(c.maxIn, t.element());
            }
        }
        StringBuilder b = new StringBuilder("program " + p.id() + ":\n");
        if (sites.isEmpty()) b.append("  no loads or stores\n");
        for (Map.Entry<Site, Counts> e : sites.entrySet()) {
            Site s = e.getKey();
            Counts c = e.getValue();
            TensorInfo t = s.tensor() >= 0 ? rec.tensors().get(s.tensor()) : null;
            String name = t == null ? "?" : t.name();
            b.append(String.format("  %-6s %-8s at %-28s %5d lanes: %d in bounds", s.kind(), name, s.where(), c.lanes, c.active));
            if (c.active > 0 && t != null) b.append(" (").append(name).append(Picture.index(t, c.minIn)).append(" .. ").append(name).append(Picture.index(t, c.maxIn)).append(')');
            if (c.masked > 0) b.append(", ").append(c.masked).append(" masked off");
            if (c.oob > 0) {
                b.append(", ").append(c.oob).append(" OUT OF BOUNDS");
                if (t != null) b.append(" (").append(name).append(Picture.index(t, c.minOob)).append(" .. ").append(name).append(Picture.index(t, c.maxOob)).append(')');
            }
            b.append('\n');
        }
        return b.toString();
    }
}
