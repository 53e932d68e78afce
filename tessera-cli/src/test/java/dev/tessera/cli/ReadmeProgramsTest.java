package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java blocks marked {@code <!-- readme-test: complete program -->} compile as pasted
 * against the built classes, and their {@code main} runs: a new user's first copy and paste works.
 */
class ReadmeProgramsTest {
    private static final String MARK = "<!-- readme-test: complete program -->";
    private static final Pattern BLOCK = Pattern.compile(Pattern.quote(MARK) + "\\s*```java\\n(.*?)\\n```", Pattern.DOTALL);
    private static final Pattern CLASS = Pattern.compile("(?m)^(?:public |final )*class (\\w+)");

    record Program(String className, String source) {}

    static List<Program> programs(String readme) {
        List<Program> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(readme);
        while (m.find()) {
            Matcher c = CLASS.matcher(m.group(1));
            if (!c.find()) throw new AssertionError("a README block marked as a complete program declares no class:\n" + m.group(1));
            out.add(new Program(c.group(1), m.group(1)));
        }
        return out;
    }

    @Test
    void completeProgramsCompileAndRun(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        List<Program> programs = programs(readme);
        assertFalse(programs.isEmpty(), "no README block is marked " + MARK);
        long marks = readme.lines().filter(l -> l.strip().equals(MARK)).count();
        assertEquals(marks, programs.size(), "a " + MARK + " line not followed by a ```java block");

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        // surefire's own class path is a manifest-only jar; this property is the tests' real one
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (Program p : programs) {
            Path src = dir.resolve(p.className()).resolve(p.className() + ".java"), out = dir.resolve(p.className()).resolve("classes");
            Files.createDirectories(out);
            Files.writeString(src, p.source());
            StringWriter diagnostics = new StringWriter();
            boolean ok = javac.getTask(diagnostics, null, null,
                    List.of("-parameters", "-proc:none", "-classpath", classPath, "-d", out.toString()), null,
                    javac.getStandardFileManager(null, null, null).getJavaFileObjects(src.toFile())).call();
            assertTrue(ok, "the README's " + p.className() + " does not compile as pasted:\n" + diagnostics);
            run(p.className(), out);
        }
    }

    private static void run(String className, Path classes) throws IOException, ReflectiveOperationException {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, ReadmeProgramsTest.class.getClassLoader())) {
            Method main = loader.loadClass(className).getMethod("main", String[].class);
            main.setAccessible(true); // the tour's class is package-private
            main.invoke(null, (Object) new String[0]);
        }
    }

    @Test
    void findsMarkedBlocksOnly() {
        String text = "```java\nclass A {}\n```\n" + MARK + "\n```java\nimport x.Y;\n\nfinal class B {}\n```\n";
        List<Program> p = programs(text);
        assertEquals(List.of("B"), p.stream().map(Program::className).toList());
        assertTrue(p.getFirst().source().startsWith("import x.Y;"));
    }
}
