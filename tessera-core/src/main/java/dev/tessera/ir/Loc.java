package dev.tessera.ir;

/** Where an op came from in the user's source: the file, line and method of the traced call. */
public record Loc(String file, int line, String method) {
    public static final Loc UNKNOWN = new Loc("<unknown>", 0, "");

    public boolean isKnown() { return line > 0; }

    /** "Softmax.java:42", the prefix of every trace error. */
    @Override
    public String toString() { return file + ":" + line; }
}
