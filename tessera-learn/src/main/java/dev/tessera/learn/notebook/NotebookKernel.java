package dev.tessera.learn.notebook;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.Completeness;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;
import jdk.jshell.execution.LocalExecutionControlProvider;
import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.BaseKernelBuilder;
import org.dflib.jjava.jupyter.kernel.HelpLink;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/**
 * A Jupyter kernel for Java, built on JJava's protocol library ({@code org.dflib.jjava:jjava-jupyter}):
 * each cell is split into JShell snippets and run in this JVM ({@code LocalExecutionControl}), so
 * a cell's {@code @Kernel} classes are traced like any other and its values (charts, images,
 * {@link Notebook#svg}) are rendered as the objects they are. Compiled with {@code -parameters},
 * as Tessera's constexprs given by name need. {@code tessera notebook} installs its kernel spec.
 */
public final class NotebookKernel extends BaseKernel {
    private static final String NAME = "tessera-java";

    /** The value of a cell's last expression, handed over by a snippet the kernel runs after it. */
    private static final AtomicReference<Object> LAST = new AtomicReference<>();

    private final JShell shell;

    private NotebookKernel(Builder b, JShell shell) {
        super(NAME, version(), new LanguageInfo("java", Runtime.version().toString(), "text/x-java", ".jshell", "java", "java", "script"),
                List.of(new HelpLink("Tessera's course", "tessera-learn/README.md")), null, b.io(), b.comms(), b.renderer(), null, b.magics(),
                false, b.errors());
        this.shell = shell;
    }

    /** A kernel over a fresh JShell whose class path is this JVM's (Tessera and its dependencies). */
    public static NotebookKernel create() { return new Builder().build(); }

    /** Entry point of the kernel spec: {@code NotebookKernel <connection file>}, as Jupyter starts kernels. */
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: NotebookKernel <connection file> (Jupyter passes it; run `tessera notebook` to install the kernel)");
            System.exit(2);
        }
        KernelConnectionProperties properties = KernelConnectionProperties.parse(Files.readString(Path.of(args[0])));
        JupyterConnection connection = new JupyterConnection(properties);
        NotebookKernel kernel = create();
        kernel.becomeHandlerForConnection(connection);
        kernel.onStartup();
        connection.connect();
        connection.waitUntilClose();
        System.exit(0); // a thread a cell started (a pool, a timer) must not keep the kernel alive once Jupyter has closed it
    }

    /** Called by the snippet the kernel appends to a cell that ends in an expression. */
    public static void keep(Object value) { LAST.set(value); }

    /**
     * Runs a cell: its snippets in order, stopping at the first that does not compile or throws.
     * Returns the last snippet's value when it is an expression, else null (nothing shown).
     */
    @Override
    public Object evalRaw(String cell) {
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        String remaining = cell;
        Snippet last = null;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (info.completeness() == Completeness.EMPTY) break;
            if (!info.completeness().isComplete()) throw new CellError("the cell ends inside a statement:\n" + remaining.strip());
            int start = cell.length() - remaining.length();
            while (start < cell.length() && Character.isWhitespace(cell.charAt(start))) start++;
            last = run(info.source(), lineOf(cell, start));
            remaining = info.remaining();
        }
        String shown = shownName(last);
        if (shown == null) return null;
        LAST.set(null);
        run(NotebookKernel.class.getName() + ".keep(" + shown + ");", 1);
        return LAST.getAndSet(null);
    }

    /** Expressions ({@code f(x)}, or a variable {@code x}) show their value; declarations, assignments and void calls do not. */
    private static String shownName(Snippet s) {
        if (s instanceof VarSnippet v && v.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND) return v.name();
        if (s instanceof ExpressionSnippet x && x.subKind() == Snippet.SubKind.VAR_VALUE_SUBKIND) return x.name();
        return null;
    }

    /** Runs one snippet whose first line of code is line {@code cellLine} of its cell (for the line numbers of compile errors). */
    private Snippet run(String source, int cellLine) {
        Snippet snippet = null;
        for (SnippetEvent e : shell.eval(source)) {
            if (e.causeSnippet() != null) continue; // a dependent snippet updated, not this one
            snippet = e.snippet();
            if (e.exception() != null) throw new CellError(e.exception());
            if (e.status() == Snippet.Status.REJECTED || e.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
                throw new CellError(compileErrors(e.snippet(), cellLine));
            }
        }
        return snippet;
    }

    private String compileErrors(Snippet s, int cellLine) {
        List<String> lines = new ArrayList<>();
        for (Diag d : shell.diagnostics(s).toList()) {
            if (d.isError()) lines.add(locate(s.source(), d, cellLine) + d.getMessage(null));
        }
        if (s instanceof jdk.jshell.DeclarationSnippet decl) {
            List<String> missing = shell.unresolvedDependencies(decl).toList();
            if (!missing.isEmpty()) lines.add("not defined yet: " + String.join(", ", missing) + " (run the cell that declares it first)");
        }
        if (lines.isEmpty()) lines.add("the snippet was rejected:\n" + s.source());
        return String.join("\n", lines);
    }

    /** "cell line 3, `store(x, y)`: " for a diagnostic at that line. */
    private static String locate(String source, Diag d, int cellLine) {
        if (d.getPosition() < 0) return "";
        int pos = (int) Math.min(d.getPosition(), source.length()), code = 0;
        while (code < source.length() && Character.isWhitespace(source.charAt(code))) code++;
        int start = source.lastIndexOf('\n', Math.max(0, pos - 1)) + 1, end = source.indexOf('\n', pos);
        return "cell line " + (cellLine + lineOf(source, pos) - lineOf(source, code)) + ", `" + source.substring(start, end < 0 ? source.length() : end).strip() + "`: ";
    }

    /** The 1-based line of {@code text} that character {@code pos} is on. */
    private static int lineOf(String text, int pos) { return 1 + (int) text.substring(0, pos).chars().filter(c -> c == '\n').count(); }

    @Override
    public DisplayData eval(String cell) {
        Object value = evalRaw(cell);
        return value == null ? null : Notebook.displayData(value);
    }

    /** The message and the cell's own frames: what went wrong and where, without JShell's machinery. */
    @Override
    public List<String> formatError(Throwable e) {
        List<String> lines = new ArrayList<>();
        Throwable t = e instanceof CellError c && c.getCause() != null ? c.getCause() : e;
        boolean first = true;
        for (; t != null; t = t.getCause(), first = false) {
            String name = t instanceof EvalException ee ? ee.getExceptionClassName() : t.getClass().getName();
            if (t instanceof UnresolvedReferenceException u) {
                lines.add(errorStyler.primary("not defined yet: " + String.join(", ", shell.unresolvedDependencies(u.getSnippet()).toList())));
                break;
            }
            String message = t instanceof CellError ? t.getMessage() : (first ? "" : "caused by ") + name + ": " + t.getMessage();
            lines.addAll(errorStyler.primaryLines(message));
            for (StackTraceElement f : t.getStackTrace()) {
                if (f.getClassName().startsWith("jdk.") || f.getClassName().startsWith("java.lang.reflect")) break;
                lines.add(errorStyler.secondary("    at " + f));
            }
        }
        return lines;
    }

    @Override
    public DisplayData inspect(String code, int at, boolean extraDetail) {
        List<SourceCodeAnalysis.Documentation> docs = shell.sourceCodeAnalysis().documentation(code, at, true);
        if (docs == null || docs.isEmpty()) return null;
        return new DisplayData(docs.stream().map(d -> d.signature() + (d.javadoc() == null ? "" : "\n" + d.javadoc()))
                .collect(Collectors.joining("\n\n")));
    }

    @Override
    public ReplacementOptions complete(String code, int at) {
        int[] anchor = new int[1];
        List<SourceCodeAnalysis.Suggestion> suggestions = shell.sourceCodeAnalysis().completionSuggestions(code, at, anchor);
        if (suggestions.isEmpty()) return null;
        return new ReplacementOptions(suggestions.stream().map(SourceCodeAnalysis.Suggestion::continuation).distinct().toList(), anchor[0], at);
    }

    @Override
    public String isComplete(String code) {
        String remaining = code;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = shell.sourceCodeAnalysis().analyzeCompletion(remaining);
            switch (info.completeness()) {
                case EMPTY -> { return IS_COMPLETE_YES; }
                case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> { return "    "; }
                case UNKNOWN -> { return IS_COMPLETE_BAD; }
                default -> remaining = info.remaining();
            }
        }
        return IS_COMPLETE_YES;
    }

    @Override
    public void interrupt() { shell.stop(); }

    @Override
    public void onShutdown(boolean isRestarting) {
        super.onShutdown(isRestarting);
        shell.close();
    }

    private static String version() {
        String v = NotebookKernel.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** A cell that did not compile, ended early, or threw (the cause). */
    static final class CellError extends RuntimeException {
        CellError(String message) { super(message, null, false, false); }

        CellError(Throwable cause) { super(cause.getMessage(), cause, false, false); }
    }

    /** The JShell, and the protocol library's defaults for the kernel's I/O, comms, renderer and error colors. */
    private static final class Builder extends BaseKernelBuilder<Builder, NotebookKernel> {
        @Override
        public NotebookKernel build() {
            JShell shell = JShell.builder().executionEngine(new LocalExecutionControlProvider(), Map.of()).compilerOptions("-parameters").build();
            shell.addToClasspath(System.getProperty("java.class.path"));
            return new NotebookKernel(this, shell);
        }

        org.dflib.jjava.jupyter.kernel.JupyterIO io() { return buildJupyterIO(buildJupyterIOEncoding()); }

        org.dflib.jjava.jupyter.kernel.comm.CommManager comms() { return buildCommManager(); }

        org.dflib.jjava.jupyter.kernel.display.Renderer renderer() { return buildRenderer(); }

        org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry magics() { return buildMagicsRegistry(); }

        org.dflib.jjava.jupyter.kernel.util.StringStyler errors() { return buildErrorStyler(); }
    }
}
