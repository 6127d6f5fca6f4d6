package io.oxllm.telemetry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The JSONL request log (SPEC section 7): one line per request with exactly the documented fields,
 * never a body or a key (a {@link RequestRecord} holds neither). Buffered, flushed by the worker
 * once per drain cycle. Rotates before a line would take the file past {@code maxBytes}:
 * {@code log.3 → log.4}, …, {@code log → log.1}, keeping {@value #FILES} files in all (the live one
 * and four rotated). Only the telemetry worker thread uses it. I/O errors never escape: the line is
 * lost, counted, reported once per streak, and the file is reopened on the next write.
 */
final class RequestLog implements AutoCloseable {
  static final int FILES = 5;

  private final Path path;
  private final long maxBytes;
  private OutputStream out;
  private long size;
  private long errors;
  private boolean failing;

  RequestLog(Path path, long maxBytes) {
    this.path = path;
    this.maxBytes = maxBytes;
  }

  /** The JSON object of one line, fields in the documented order. */
  static JsonObject line(RequestRecord r) {
    JsonArray attempts = new JsonArray();
    for (AttemptRecord a : r.attempts()) {
      attempts.add(new JsonObject()
          .put("provider", a.provider())
          .put("status", a.status() > 0 ? a.status() : null)
          .put("error", a.error())
          .put("ms", millis(a.endEpochNanos() - a.startEpochNanos())));
    }
    return new JsonObject()
        .put("ts", Instant.ofEpochMilli(r.startEpochNanos() / 1_000_000).toString())
        .put("request_id", r.requestId())
        .put("path", r.path())
        .put("model", r.requestedModel())
        .put("provider", r.provider())
        .put("upstream_model", r.upstreamModel())
        .put("status", r.status() > 0 ? r.status() : null)
        .put("outcome", r.outcome().jsonName())
        .put("stream", r.stream())
        .put("attempts", attempts)
        .put("ttft_ms", r.stream() && r.ttftNanos() >= 0 ? millis(r.ttftNanos()) : null)
        .put("duration_ms", millis(r.endEpochNanos() - r.startEpochNanos()))
        .put("input_tokens", r.inputTokens() >= 0 ? r.inputTokens() : null)
        .put("output_tokens", r.outputTokens() >= 0 ? r.outputTokens() : null)
        .put("bytes_out", r.bytesOut());
  }

  /** Milliseconds with microsecond precision (a local echo answers in well under one). */
  private static double millis(long nanos) {
    return Math.max(0, nanos / 1000) / 1000.0;
  }

  void write(RequestRecord r) {
    byte[] bytes = (line(r).encode() + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      if (out == null) {
        open();
      }
      if (size > 0 && size + bytes.length > maxBytes) {
        rotate();
      }
      out.write(bytes);
      size += bytes.length;
      recovered();
    } catch (IOException | RuntimeException e) {
      failed(e);
    }
  }

  void flush() {
    if (out == null) {
      return;
    }
    try {
      out.flush();
    } catch (IOException e) {
      failed(e);
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
    out = new BufferedOutputStream(Files.newOutputStream(path, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND, StandardOpenOption.WRITE), 64 * 1024);
    size = Files.size(path);
  }

  private void rotate() throws IOException {
    out.flush();
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

  private void failed(Exception e) {
    errors++;
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
