package dev.tessera.learn.notebook;

import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * What a notebook cell shows: a cell that ends in an expression shows its value as
 * {@link #displayData} renders it (an XChart chart or an image as a PNG, a {@link DisplayData} as
 * itself, anything else as its text), and {@link #show} shows one in the middle of a cell.
 */
public final class Notebook {
    private Notebook() {}

    /** Shows {@code value} below the running cell now, as a cell ending in it would. */
    public static void show(Object value) { BaseKernel.notebookKernel().display(displayData(value)); }

    /** An SVG picture (the visualizer's), to show or to end a cell with. */
    public static DisplayData svg(String svg) {
        DisplayData d = new DisplayData("[an SVG picture]");
        d.putSVG(svg);
        return d;
    }

    /** HTML, to show or to end a cell with. */
    public static DisplayData html(String html) {
        DisplayData d = new DisplayData("[HTML]");
        d.putHTML(html);
        return d;
    }

    /** How the kernel shows a value. */
    public static DisplayData displayData(Object value) {
        return switch (value) {
            case DisplayData d -> d;
            case Chart<?, ?> chart -> png(BitmapEncoder.getBufferedImage(chart), chart.getTitle());
            case RenderedImage image -> png(image, "[an image]");
            default -> new DisplayData(String.valueOf(value));
        };
    }

    private static DisplayData png(RenderedImage image, String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        DisplayData d = new DisplayData(text == null || text.isBlank() ? "[a chart]" : text);
        d.putData("image/png", Base64.getEncoder().encodeToString(bytes.toByteArray()));
        return d;
    }
}
