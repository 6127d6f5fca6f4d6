package io.oxllm.telemetry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The JSONL request log (SPEC section 7): one line per request with exactly the documented fields,
 * never a body or a key (a {@link RequestRecord} holds neither), encoded by
 * {@link JsonLineEncoder}. Buffered, flushed by the worker once per drain cycle. Rotates before a
 * line would take the file past {@code maxBytes}: {@code log.3 → log.4}, …, {@code log → log.1},
 * keeping {@value #FILES} files in all (the live one and four rotated). Only the telemetry worker
 * thread uses it. I/O errors never escape: the lines are lost, counted, reported once per streak,
 * and the file is reopened on the next write.
 *
 * <p>Why a direct buffer and a {@code FileChannel} rather than a {@code BufferedOutputStream}: a
 * line is encoded into a small heap buffer that stays in the L1, then copied once into direct
 * memory that the {@code write} reads. A stream over a file copied each line into its own array and
 * the channel under it copied that again into a temporary direct buffer (a tenth of what the log
 * cost the worker, docs/performance.md).
 */
final class RequestLog implements AutoCloseable {
  static final int FILES = 5;
  static final int BUFFER_BYTES = 64 * 1024;

  private final Path path;
  private final long maxBytes;
  private final JsonLineEncoder line = new JsonLineEncoder();
  private final ByteBuffer pending = ByteBuffer.allocateDirect(BUFFER_BYTES);
  private int pendingLines;
  private FileChannel out;
  private long size; // the file's, with what is pending
  private long errors;
  private boolean failing;

  RequestLog(Path path, long maxBytes) {
    this.path = path;
    this.maxBytes = maxBytes;
  }

  void write(RequestRecord r) {
    int length = line.encode(r);
    try {
      if (out == null) {
        open();
      }
      if (size > 0 && size + length > maxBytes) {
        rotate();
      }
      if (length > pending.remaining()) {
        writePending();
      }
      if (length <= pending.capacity()) {
        line.copyTo(pending);
        pendingLines++;
      } else { // a line longer than the buffer (a huge model name) is written from the heap
        line.writeTo(out);
      }
      size += length;
      recovered();
    } catch (IOException | RuntimeException e) {
      failed(e, 1);
    }
  }

  void flush() {
    if (out == null) {
      return;
    }
    try {
      writePending();
    } catch (IOException e) {
      failed(e, 0);
    }
  }

  /** Lines lost to I/O errors. */
  long errors() {
    return errors;
  }

  @Override
  public void close() {
    flush();
    closeQuietly();
  }

  private void open() throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    size = out.size();
  }

  private void writePending() throws IOException {
    pending.flip();
    while (pending.hasRemaining()) {
      out.write(pending);
    }
    pending.clear();
    pendingLines = 0;
  }

  private void rotate() throws IOException {
    writePending();
    closeQuietly();
    Files.deleteIfExists(rotated(FILES - 1));
    for (int i = FILES - 2; i >= 1; i--) {
      if (Files.exists(rotated(i))) {
        Files.move(rotated(i), rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.move(path, rotated(1), StandardCopyOption.REPLACE_EXISTING);
    open();
  }

  private Path rotated(int n) {
    return path.resolveSibling(path.getFileName() + "." + n);
  }

  /** What is pending is lost with the line being written, if {@code current} is 1. */
  private void failed(Exception e, int current) {
    errors += pendingLines + current;
    pending.clear();
    pendingLines = 0;
    closeQuietly(); // reopen on the next write: the file may have been moved or the disk freed
    if (!failing) {
      failing = true;
      ExportFailures.LOG.log(System.Logger.Level.WARNING,
          "request log " + path + ": write failed, lines are lost until it works again: " + e);
    }
  }

  private void recovered() {
    if (failing) {
      failing = false;
      ExportFailures.LOG.log(System.Logger.Level.INFO, "request log " + path + " writable again ("
          + errors + " lines lost so far)");
    }
  }

  private void closeQuietly() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException ignored) {
        // nothing more to do with a stream that cannot close
      }
      out = null;
    }
  }
}
