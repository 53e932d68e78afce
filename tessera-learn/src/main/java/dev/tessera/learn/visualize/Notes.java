package dev.tessera.learn.visualize;

/** The text summary of one program's accesses (what the page lists under the picture). */
public final class Notes {
    private Notes() {}

    public static String of(Recording recording, int program) { return HtmlPage.notes(recording, recording.programs().get(program)); }
}
