package dev.tessera.learn.notebook;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel spec Jupyter reads: valid JSON whose command runs the kernel with the given Java and class path. */
class KernelSpecTest {
    @Test
    void theSpecRunsTheKernelWithTheClassPath(@TempDir Path data) throws Exception {
        String classPath = "/opt/a dir/classes:/opt/lib/*:C:\\\\odd\"name";
        Path dir = KernelSpec.install(data, Path.of("/opt/jdk/bin/java"), classPath);
        assertEquals(data.resolve("kernels/tessera-java"), dir);
        JsonObject spec = JsonParser.parseString(Files.readString(dir.resolve("kernel.json"))).getAsJsonObject();
        JsonArray argv = spec.getAsJsonArray("argv");
        assertEquals("/opt/jdk/bin/java", argv.get(0).getAsString());
        assertTrue(argv.toString().contains("--enable-native-access=ALL-UNNAMED"), argv.toString());
        int cp = argv.asList().stream().map(e -> e.getAsString()).toList().indexOf("-cp");
        assertEquals(classPath, argv.get(cp + 1).getAsString(), "the class path survives quoting");
        assertEquals(NotebookKernel.class.getName(), argv.get(cp + 2).getAsString());
        assertEquals("{connection_file}", argv.get(argv.size() - 1).getAsString());
        assertEquals("java", spec.get("language").getAsString());
    }
}
