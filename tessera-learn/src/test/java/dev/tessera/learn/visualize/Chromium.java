package dev.tessera.learn.visualize;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/** Headless Chromium (Debian's chromium package) taking screenshots of local pages. */
final class Chromium {
    private Chromium() {}

    /** The chromium executable, or null when none is installed. */
    static Path find() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return p;
            }
        }
        return null;
    }

    /** Loads {@code url} in a fresh headless browser and returns a screenshot of the viewport. */
    static BufferedImage screenshot(Path chromium, String url, int width, int height, Path work) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(work, "profile");
        Path png = work.resolve("shot-" + System.nanoTime() + ".png");
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
                "--user-data-dir=" + profile, "--virtual-time-budget=3000", "--window-size=" + width + "," + height,
                "--screenshot=" + png, url));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("chromium.log").toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish in 90 s: " + String.join(" ", cmd));
        }
        if (!Files.exists(png)) {
            throw new IOException("chromium wrote no screenshot (exit " + p.exitValue() + "):\n" + Files.readString(work.resolve("chromium.log")));
        }
        return ImageIO.read(png.toFile());
    }
}
