package dev.tessera.bench;

import java.awt.BasicStroke;
import java.awt.Color;
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
        chart.getStyler().setXAxisLogarithmic(rep.logX());
        chart.getStyler().setYAxisLogarithmic(rep.logY());
        chart.getStyler().setXAxisLogarithmicDecadeOnly(false);
        chart.getStyler().setYAxisLogarithmicDecadeOnly(false);
        chart.getStyler().setxAxisTickLabelsFormattingFunction(Fmt::number);
        chart.getStyler().setyAxisTickLabelsFormattingFunction(Fmt::number);
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
                px.add((double) xs[i]);
                py.add(y);
            }
            if (px.isEmpty()) continue;
            XYSeries s = chart.addSeries(names.get(p), px, py);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineStyle(new BasicStroke(2f));
        }
        return chart;
    }

    /** Writes the chart as a PNG of the report's chart size. */
    public static void writePng(SweepResult r, Path file) {
        XYChart chart = chart(r);
        write(file, os -> BitmapEncoder.saveBitmap(chart, os, BitmapEncoder.BitmapFormat.PNG));
    }

    /** Writes the chart as SVG (through VectorGraphics2D). */
    public static void writeSvg(SweepResult r, Path file) {
        XYChart chart = chart(r);
        write(file, os -> VectorGraphicsEncoder.saveVectorGraphic(chart, os, VectorGraphicsEncoder.VectorGraphicsFormat.SVG));
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
