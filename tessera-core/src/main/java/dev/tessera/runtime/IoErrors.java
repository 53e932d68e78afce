package dev.tessera.runtime;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Failures of the file system in words a user can act on. Java's own messages for these are often
 * just the path ({@code AccessDeniedException: /x}), which says neither what went wrong nor that
 * the path was the problem.
 */
public final class IoErrors {
    private IoErrors() {}

    /** "/x/y: permission denied", "/x: is not a directory", or the exception's own message. */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException f) {
            String why = f.getReason() != null ? f.getReason().toLowerCase(java.util.Locale.ROOT) : switch (f) {
                case AccessDeniedException a -> "permission denied";
                case FileAlreadyExistsException a -> "already exists (and is in the way)";
                case NoSuchFileException a -> "no such file or directory";
                case NotDirectoryException a -> "is not a directory";
                default -> f.getClass().getSimpleName();
            };
            return (f.getFile() != null ? f.getFile() + ": " : "") + why + (f.getOtherFile() != null ? " (" + f.getOtherFile() + ")" : "");
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** As {@link #describe(IOException)}, naming {@code path} when the exception does not ("Is a directory" names nothing). */
    public static String describe(java.nio.file.Path path, IOException e) {
        String d = describe(e);
        if (d.contains(path.toString())) return d;
        return path + ": " + (d.isEmpty() ? d : Character.toLowerCase(d.charAt(0)) + d.substring(1));
    }
}
