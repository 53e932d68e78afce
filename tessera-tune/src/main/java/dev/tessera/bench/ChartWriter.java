package dev.tessera.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws a {@link SweepResult} with XChart: one line per provider, x axis labelled with the x
 * variable, y axis with the metric's unit, a legend, optional log axes. Rendering is headless: unless
 * the application chose otherwise, {@code java.awt.headless} is set to {@code true} before XChart
 * first touches AWT.
 */
public final class ChartWriter {

    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** Line colours by provider position (matplotlib's "tab10"), so provider i looks alike in every chart. */
    public static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
    };

    private static final Marker[] MARKERS = {
        SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND, SeriesMarkers.TRIANGLE_UP,
        SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS, SeriesMarkers.PLUS,
    };

    private ChartWriter() {}

    /**
     * The chart. Failed measurements are left out, and so are values that are not positive on a
     * logarithmic axis; a provider with no points left gets no line.
     */
    public static XYChart chart(SweepResult r) {
        PerfReport rep = r.report();
        XYChart chart = new XYChartBuilder().width(rep.chartWidth()).height(rep.chartHeight())
                .title(rep.title()).xAxisTitle(rep.xLabel()).yAxisTitle(rep.yLabel()).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        // A log x axis is drawn as log2(x) on a linear axis labelled 2^v at whole v: sweeps are
        // mostly powers of two, and XChart's own log axis crowds its labels (e.g. "600700800900").
        chart.getStyler().setxAxisTickLabelsFormattingFunction(rep.logX() ? ChartWriter::powerOfTwoLabel : Fmt::number);
        chart.getStyler().setYAxisLogarithmic(rep.logY());
        if (rep.logY()) {
            chart.getStyler().setYAxisLogarithmicDecadeOnly(false);
            chart.getStyler().setYAxisDecimalPattern("#,##0.###");
        } else {
            chart.getStyler().setyAxisTickLabelsFormattingFunction(Fmt::number);
        }
        chart.getStyler().setMarkerSize(7);
        chart.getStyler().setAntiAlias(true);

        long[] xs = rep.xValues();
        List<String> names = r.providerNames();
        for (int p = 0; p < names.size(); p++) {
            List<Double> px = new ArrayList<>(), py = new ArrayList<>();
            for (int i = 0; i < xs.length; i++) {
                double y = r.cell(i, p).metric();
                if (Double.isNaN(y) || Double.isInfinite(y)) continue;
                if (rep.logY() && y <= 0) continue;
                if (rep.logX() && xs[i] <= 0) continue;
                px.add(rep.logX() ? Math.log(xs[i]) / Math.log(2) : xs[i]);
                py.add(y);
            }
            if (px.isEmpty()) continue;
            XYSeries s = chart.addSeries(names.get(p), px, py);
            Color c = PALETTE[p % PALETTE.length];
            s.setLineColor(c);
            s.setMarkerColor(c);
            s.setMarker(MARKERS[p % MARKERS.length]);
            s.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        }
        return chart;
    }

    /** The label of tick {@code v} on a log2 axis: {@code 2^v} at whole {@code v}, else none. */
    static String powerOfTwoLabel(double v) {
        double r = Math.rint(v);
        return Math.abs(v - r) < 1e-9 ? Fmt.number(Math.pow(2, r)) : "";
    }

    /** Writes the chart as a PNG of the report's chart size. */
    public static void writePng(SweepResult r, Path file) {
        XYChart chart = chart(r);
        write(file, os -> BitmapEncoder.saveBitmap(chart, os, BitmapEncoder.BitmapFormat.PNG));
    }

    /** Writes the chart as SVG (through VectorGraphics2D), each drawn polyline one {@code <path>}. */
    public static void writeSvg(SweepResult r, Path file) {
        XYChart chart = chart(r);
        write(file, os -> {
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            VectorGraphicsEncoder.saveVectorGraphic(chart, raw, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            os.write(SvgPolylines.mergeLines(raw.toByteArray()));
        });
    }

    private interface Encoder {
        void encode(OutputStream os) throws IOException;
    }

    private static void write(Path file, Encoder encoder) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            try (OutputStream os = Files.newOutputStream(file)) {
                encoder.encode(os);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write chart " + file, e);
        }
    }
}
