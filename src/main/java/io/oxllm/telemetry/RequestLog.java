package io.oxllm.telemetry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The JSONL request log (SPEC section 7): one line per request with exactly the documented fields,
 * never a body or a key (a {@link RequestRecord} holds neither), encoded by
 * {@link JsonLineEncoder}. Rotates before a line would take the file past {@code maxBytes}:
 * {@code log.3 → log.4}, …, {@code log → log.1}, keeping {@value #FILES} files in all (the live
 * one and four rotated). Only the telemetry worker thread uses it. I/O errors never escape: the
 * lines are lost, counted, reported once per streak, and the file is reopened on the next write.
 * A file moved away or deleted (logrotate) is let go of within a second, and the path opened anew.
 *
 * <p>How lines reach the file, and why:
 * <ul>
 *   <li>Each line is encoded into a small heap buffer that stays in the L1, then copied once into
 *       {@value #CHUNK_BYTES} bytes of direct memory that the {@code write} reads. A
 *       {@code BufferedOutputStream} over the file copied each line into its own array, and the
 *       channel under it copied that again into a temporary direct buffer.
 *   <li>That buffer stands for the chunk of the file at an offset that is a multiple of its size,
 *       and is written when full, so nearly every {@code write} is one whole, aligned chunk. The
 *       kernel then fills the page cache in large folios (ext4 on Linux 6.16 and later) instead of
 *       page by page, and is called less often: the log's writing took 29 % less of the worker's
 *       CPU than with a write at each drain (docs/performance-history.md). Lines may straddle
 *       two chunks.
 *   <li>What is left in a chunk is written once it has waited {@code lingerMs} ({@link
 *       #writeLingering}, at each drain), on {@link #flush} (a reload, the shutdown) and before a
 *       rotation. So a line reaches the file at most about {@code lingerMs} after its drain, as a
 *       span reaches its collector.
 * </ul>
 */
final class RequestLog implements AutoCloseable {
  static final int FILES = 5;
  static final int CHUNK_BYTES = 256 * 1024;
  static final long MOVED_CHECK_NANOS = 1_000_000_000L;

  private final Path path;
  private final long maxBytes;
  private final long lingerNanos;
  private final LongSupplier nanoClock;
  private final JsonLineEncoder line = new JsonLineEncoder();
  // the file's chunk [k * CHUNK_BYTES, (k + 1) * CHUNK_BYTES) that the log's end lies in
  private final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES);
  private int written; // how much of the chunk, from its start, is in the file
  private int pendingLines; // lines whose last byte is in the chunk but not yet in the file
  private long pendingSinceNanos;
  private FileChannel out;
  private Object fileKey; // the open file's identity (device and inode), to notice it moved
  private long checkedNanos;
  private long size; // the file's, with what is pending
  private long errors;
  private final AtomicLong lost;
  private boolean failing;

  /** @param nanoClock {@link System#nanoTime}, or a test's clock, as {@link SpanShipper}'s */
  RequestLog(Path path, long maxBytes, long lingerMs, LongSupplier nanoClock) {
    this(path, maxBytes, lingerMs, nanoClock, new AtomicLong());
  }

  /** @param lost also counts the lines this log loses, for {@code /status} (any thread reads it) */
  RequestLog(Path path, long maxBytes, long lingerMs, LongSupplier nanoClock, AtomicLong lost) {
    this.path = path;
    this.maxBytes = maxBytes;
    this.lingerNanos = lingerMs * 1_000_000;
    this.nanoClock = nanoClock;
    this.lost = lost;
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
      if (chunk.position() == written) {
        pendingSinceNanos = nanoClock.getAsLong();
      }
      for (int from = 0; from < length; ) {
        int n = Math.min(length - from, chunk.remaining());
        line.copyTo(chunk, from, n);
        from += n;
        if (!chunk.hasRemaining()) {
          writeChunk();
        }
      }
      pendingLines++;
      size += length;
      recovered();
    } catch (IOException | RuntimeException e) {
      failed(e, 1);
    }
  }

  /**
   * Writes what is pending if it has waited {@code lingerMs} since it began to; and, once a second,
   * lets go of the file if the path no longer names it ({@link #reopenIfMoved}).
   */
  void writeLingering() {
    if (out != null && fileKey != null && nanoClock.getAsLong() - checkedNanos >= MOVED_CHECK_NANOS) {
      reopenIfMoved();
    }
    if (chunk.position() > written && nanoClock.getAsLong() - pendingSinceNanos >= lingerNanos) {
      flush();
    }
  }

  /** Writes everything pending. */
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
    fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey(); // null where the OS has none
    checkedNanos = nanoClock.getAsLong();
    size = out.size();
    // the chunk stands for the file's last chunk: its part before the end is already in the file
    written = (int) (size % CHUNK_BYTES);
    chunk.clear().position(written);
  }

  /**
   * logrotate's default (create) moves the file away and expects a new one at the path; an
   * operator may delete it. Either way the log went on writing to the old file, moved or gone,
   * until its own rotation. When the path names another file or none, what is pending goes to the
   * old one (it belongs with the lines before it) and the next line opens the path anew.
   */
  private void reopenIfMoved() {
    checkedNanos = nanoClock.getAsLong();
    Object now;
    try {
      now = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    } catch (IOException gone) {
      now = null;
    }
    if (!fileKey.equals(now)) {
      flush();
      closeQuietly();
    }
  }

  /** Writes the pending part of the full chunk and starts the next chunk. */
  private void writeChunk() throws IOException {
    writePending();
    chunk.clear();
    written = 0;
  }

  private void writePending() throws IOException {
    int end = chunk.position();
    chunk.position(written).limit(end);
    while (chunk.hasRemaining()) {
      out.write(chunk);
    }
    chunk.limit(chunk.capacity());
    written = end;
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
    lost.addAndGet(pendingLines + current);
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
