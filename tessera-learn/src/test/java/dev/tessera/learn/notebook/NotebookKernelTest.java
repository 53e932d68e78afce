package dev.tessera.learn.notebook;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The notebook's kernel without Jupyter: cells of several snippets, what a cell shows, a kernel
 * declared in one cell and launched in another, and the errors a learner reads.
 */
class NotebookKernelTest {
    static NotebookKernel kernel;

    @BeforeAll
    static void start() { kernel = NotebookKernel.create(); }

    @AfterAll
    static void stop() { kernel.onShutdown(false); }

    @Test
    void aCellShowsItsLastExpressionOnly() {
        assertEquals(42, kernel.evalRaw("int a = 40;\nint b = 2;\na + b"));
        assertNull(kernel.evalRaw("int c = a * b;"), "a declaration shows nothing");
        assertEquals(80, kernel.evalRaw("c"), "a variable alone shows its value");
        assertNull(kernel.evalRaw("System.out.print(\"\");"), "a void call shows nothing");
        assertEquals("text", kernel.eval("\"te\" + \"xt\"").getData(MIMEType.TEXT_PLAIN), "a string shows as itself, not quoted");
    }

    @Test
    void aKernelDeclaredInACellRuns() {
        kernel.evalRaw("""
                import static dev.tessera.lang.TL.*;
                import static dev.tessera.runtime.Grid.grid;
                import dev.tessera.lang.*;
                import dev.tessera.runtime.*;
                import dev.tessera.types.DType;""");
        kernel.evalRaw("""
                class Scale {
                    @Kernel
                    static void scale(Tile x, Tile y, Tile n, @Constexpr int BLOCK) {
                        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
                        store(y.add(offs), load(x.add(offs), offs.lt(n)).mul(3.0), offs.lt(n));
                    }
                }""");
        Object out = kernel.evalRaw("""
                Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5}, Device.cpu(), 5);
                Tensor y = Tensor.full(DType.F32, Double.NaN, Device.cpu(), 5);
                Jit.kernel(Scale.class, "scale").launch(grid(cdiv(5, 4)), x, y, 5, 4); // BLOCK = constexpr named by -parameters
                java.util.Arrays.toString(y.toFloatArray())""");
        assertEquals("[3.0, 6.0, 9.0, 12.0, 15.0]", out);
    }

    @Test
    void aCompileErrorNamesTheCellLine() {
        NotebookKernel.CellError e = assertThrows(NotebookKernel.CellError.class, () -> kernel.evalRaw("int ok = 1;\n\nString s = 3;"));
        assertTrue(e.getMessage().startsWith("cell line 3, `String s = 3;`: incompatible types"), e.getMessage());
    }

    @Test
    void anExceptionStopsTheCellAndShowsItsMessage() {
        NotebookKernel.CellError e = assertThrows(NotebookKernel.CellError.class,
                () -> kernel.evalRaw("int before = 1;\nif (before == 1) throw new IllegalArgumentException(\"shape [3] is wrong\");\nint after = 2;"));
        List<String> lines = kernel.formatError(e);
        assertTrue(lines.getFirst().contains("java.lang.IllegalArgumentException: shape [3] is wrong"), lines.toString());
        assertThrows(NotebookKernel.CellError.class, () -> kernel.evalRaw("after"), "the rest of the cell did not run");
    }

    @Test
    void aTraceErrorReadsAsTessera() {
        kernel.evalRaw("import static dev.tessera.lang.TL.*;\nimport dev.tessera.lang.*;\nimport dev.tessera.runtime.*;");
        kernel.evalRaw("class Odd { @Kernel static void k(Tile x) { store(x.add(arange(0, 100)), load(x)); } }");
        NotebookKernel.CellError e = assertThrows(NotebookKernel.CellError.class, () -> kernel.evalRaw(
                "Jit.kernel(Odd.class, \"k\").launch(dev.tessera.runtime.Grid.grid(1), Tensor.empty(dev.tessera.types.DType.F32, Device.cpu(), 128));"));
        String text = String.join("\n", kernel.formatError(e));
        assertTrue(text.contains("arange(0, 100) has length 100, which is not a power of 2"), text);
    }

    @Test
    void imagesAndSvgShowAsThemselves() {
        DisplayData png = kernel.eval("new java.awt.image.BufferedImage(4, 3, java.awt.image.BufferedImage.TYPE_INT_RGB)");
        assertTrue(png.hasDataForType(MIMEType.IMAGE_PNG), "an image shows as a PNG");
        DisplayData svg = Notebook.svg("<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        assertTrue(svg.hasDataForType(MIMEType.IMAGE_SVG));
    }
}
