package io.oxllm.telemetry;

import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.config.ConfigResult;
import io.oxllm.config.GatewayConfig;
import io.oxllm.config.TelemetryConfig;
import io.oxllm.testing.GatewayHarness;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The JSONL request log: exactly the documented fields, never a key, bounded flush, rotation keeping 5 files. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestLogTest {
  private static final Duration SOON = Duration.ofSeconds(10);
  private static final long LINGER_MS = 60_000; // longer than any test: only flush() or time passed in writes
  private static final String KEY = "sk-live-DO-NOT-LOG-7f3a9c";
  private static final Set<String> FIELDS = Set.of("ts", "request_id", "path", "model", "provider", "upstream_model",
      "status", "outcome", "stream", "attempts", "ttft_ms", "duration_ms", "input_tokens", "output_tokens", "bytes_out");
  private static final Set<String> ATTEMPT_FIELDS = Set.of("provider", "status", "error", "ms");

  @TempDir
  Path dir;

  private static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void linesCarryExactlyTheDocumentedFieldsAndNeverAKey(Vertx vertx) throws IOException {
    Path file = dir.resolve("logs/requests.jsonl"); // the directory is created on first write
    ConfigResult parsed = GatewayHarness.parse(String.join("\n",
        "[telemetry]", "request_log = \"" + file + "\"",
        "[[providers]]", "name = \"A\"", "type = \"openai\"", "base_url = \"http://127.0.0.1:9/v1\"",
        "api_key = \"" + KEY + "\"", "models = [\"m-a\"]",
        "[[providers]]", "name = \"B\"", "type = \"openai\"", "base_url = \"http://127.0.0.1:9/v1\"",
        "api_key = \"" + KEY + "\"", "models = [\"m-b\"]",
        "[virtual_models]", "v = [{ provider = \"A\", model = \"m-a\" }, { provider = \"B\", model = \"m-b\" }]", ""),
        Map.of());
    assertTrue(parsed.ok(), () -> parsed.problems().toString());
    GatewayConfig config = parsed.config();
    Telemetry t = Telemetry.create(config.telemetry());
    TelemetryFixtures.Running running = new TelemetryFixtures.Running(t, await(t.deploy(vertx)), vertx);
    long start = Telemetry.epochNanos();
    RequestRecord ok = TelemetryFixtures.ok("log-1", start);
    RequestRecord stream = TelemetryFixtures.failover("log-2", start);
    RequestRecord failed = TelemetryFixtures.failed("log-3", start);
    for (RequestRecord r : List.of(ok, stream, failed)) {
      assertTrue(t.offer(r));
    }

    List<String> lines = until(SOON, () -> lines(file), l -> l.size() == 3, "three lines, flushed by the worker");
    List<JsonObject> json = lines.stream().map(JsonObject::new).toList();
    for (JsonObject line : json) {
      assertEquals(FIELDS, line.fieldNames(), line::encode);
      for (Object a : line.getJsonArray("attempts")) {
        assertEquals(ATTEMPT_FIELDS, ((JsonObject) a).fieldNames());
      }
    }
    JsonObject first = json.get(0);
    assertEquals(Instant.ofEpochMilli(start / 1_000_000), Instant.parse(first.getString("ts")));
    assertEquals("log-1", first.getString("request_id"));
    assertEquals("/v1/chat/completions", first.getString("path"));
    assertEquals("v", first.getString("model"));
    assertEquals("A", first.getString("provider"));
    assertEquals("m-a", first.getString("upstream_model"));
    assertEquals(200, first.getInteger("status"));
    assertEquals("ok", first.getString("outcome"));
    assertEquals(false, first.getBoolean("stream"));
    assertNull(first.getValue("ttft_ms"), "not a stream");
    assertEquals(10.0, first.getDouble("duration_ms"), 1e-9);
    assertEquals(11, first.getInteger("input_tokens"));
    assertEquals(22, first.getInteger("output_tokens"));
    assertEquals(345, first.getInteger("bytes_out"));
    assertEquals(new JsonArray().add(new JsonObject().put("provider", "A").put("status", 200).put("error", null).put("ms", 8.0)),
        first.getJsonArray("attempts"));

    JsonObject second = json.get(1);
    assertEquals(true, second.getBoolean("stream"));
    assertEquals(12.0, second.getDouble("ttft_ms"), 1e-9);
    assertEquals(List.of(503, 200), second.getJsonArray("attempts").stream()
        .map(a -> ((JsonObject) a).getInteger("status")).toList());

    JsonObject third = json.get(2);
    assertEquals("upstream_error", third.getString("outcome"));
    assertNull(third.getValue("input_tokens"), "unknown tokens are null, not -1");
    JsonObject timeout = third.getJsonArray("attempts").getJsonObject(0);
    assertNull(timeout.getValue("status"), "no status came back");
    assertEquals("no first byte within 30000 ms", timeout.getString("error"), "the log keeps the attempt's text");

    running.stop();
    assertFalse(Files.readString(file).contains(KEY), "the request log never holds an API key");
  }

  @Test
  void recordsOfferedJustBeforeShutdownAreStillWritten(Vertx vertx) {
    Path file = dir.resolve("flush.jsonl");
    TelemetryConfig c = TelemetryFixtures.config("", 1024, file.toString());
    TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c, Tuning.of(c, name -> null));
    long now = Telemetry.epochNanos();
    for (int i = 0; i < 200; i++) {
      running.telemetry().offer(TelemetryFixtures.ok("flush-" + i, now));
    }
    running.stop(); // no waiting for a drain tick: the final drain writes them
    assertEquals(200, lines(file).size());
  }

  @Test
  void rotationAtTheSizeLimitKeepsFiveFiles(Vertx vertx) {
    Path file = dir.resolve("rot.jsonl");
    TelemetryConfig c = TelemetryFixtures.config("", 1024, file.toString());
    long maxBytes = 2_000; // a few lines per file (request_log_max_mb cannot go below 1)
    TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c, Tuning.of(c, name -> null).withLogMaxBytes(maxBytes));
    long now = Telemetry.epochNanos();
    for (int i = 0; i < 300; i++) {
      assertTrue(running.telemetry().offer(TelemetryFixtures.ok(String.format("rot-%04d", i), now)));
    }
    until(SOON, running.telemetry()::exported, n -> n == 300, "all written");
    running.stop();

    List<Path> files = List.of(file, dir.resolve("rot.jsonl.1"), dir.resolve("rot.jsonl.2"),
        dir.resolve("rot.jsonl.3"), dir.resolve("rot.jsonl.4"));
    assertFalse(Files.exists(dir.resolve("rot.jsonl.5")), "never more than 5 files");
    List<String> ids = new ArrayList<>();
    for (int i = files.size() - 1; i >= 0; i--) { // oldest first
      Path f = files.get(i);
      assertTrue(Files.exists(f), f + " exists");
      long size = sizeOf(f);
      assertTrue(size > 0 && size <= maxBytes, f + " is " + size + " bytes");
      lines(f).forEach(l -> ids.add(new JsonObject(l).getString("request_id")));
    }
    List<String> sorted = new ArrayList<>(ids);
    sorted.sort(null);
    assertEquals(sorted, ids, "rotated files hold older lines, in order, none torn");
    assertEquals("rot-0299", ids.get(ids.size() - 1), "the live file ends with the newest line");
  }

  /** A record of {@link TelemetryFixtures#ok} whose requested model is {@code model}. */
  private static RequestRecord withModel(String id, String model, long start) {
    RequestRecord r = TelemetryFixtures.ok(id, start);
    return new RequestRecord(r.requestId(), r.requestIdHigh(), r.requestIdLow(), r.path(), r.operation(), model,
        r.provider(), r.upstreamModel(),
        r.responseModel(), r.status(), r.outcome(), r.stream(), r.attempts(), r.startEpochNanos(), r.endEpochNanos(),
        r.ttftNanos(), r.inputTokens(), r.outputTokens(), r.finishReasons(), r.bytesOut(), r.traceIdHigh(),
        r.traceIdLow(), r.spanId(), r.parentSpanId(), r.sampled(), r.errorType());
  }

  @Test
  void linesLongerThanTheBufferAndLinesAcrossItsEndAreWrittenWholeAndInOrder() throws IOException {
    Path file = dir.resolve("long.jsonl");
    long now = Telemetry.epochNanos();
    String huge = "m".repeat(3 * RequestLog.CHUNK_BYTES / 2);
    List<String> models = new ArrayList<>();
    try (RequestLog log = new RequestLog(file, Long.MAX_VALUE, LINGER_MS, System::nanoTime)) {
      for (int i = 0; i < 1_000; i++) { // ~370 kB of short lines: several buffers' worth, ends falling mid-line
        String model = i % 400 == 7 ? huge + i : "m-" + i;
        models.add(model);
        log.write(withModel("long-" + i, model, now));
        if (i % 300 == 0) {
          log.flush();
        }
      }
      assertEquals(0, log.errors());
    }
    List<String> lines = lines(file);
    assertEquals(models.size(), lines.size());
    for (int i = 0; i < lines.size(); i++) {
      JsonObject line = new JsonObject(lines.get(i));
      assertEquals("long-" + i, line.getString("request_id"));
      assertEquals(models.get(i), line.getString("model"));
    }
    assertEquals(Files.size(file), lines.stream().mapToLong(l -> l.length() + 1).sum(), "nothing but the lines");
  }

  @Test
  void writesEndAtTheFilesChunkBoundariesEvenAfterOpeningAtAnOddSize() throws IOException {
    Path file = dir.resolve("chunks.jsonl");
    String before = "{\"earlier\":\"run\"}\n".repeat(37); // an odd size, not a chunk's multiple
    Files.writeString(file, before);
    long now = Telemetry.epochNanos();
    try (RequestLog log = new RequestLog(file, Long.MAX_VALUE, LINGER_MS, System::nanoTime)) {
      int i = 0;
      while (Files.size(file) == before.length()) {
        log.write(TelemetryFixtures.ok("chunk-" + i++, now));
        assertTrue(i < 10_000, "the first chunk is written once it is full");
      }
      assertEquals(RequestLog.CHUNK_BYTES, Files.size(file), "the first write ends at the first chunk's end");
      while (Files.size(file) == RequestLog.CHUNK_BYTES) {
        log.write(TelemetryFixtures.ok("chunk-" + i++, now));
      }
      assertEquals(2L * RequestLog.CHUNK_BYTES, Files.size(file), "then one whole chunk a write");
      log.flush();
      List<String> lines = lines(file);
      assertEquals(37 + i, lines.size(), "every line, after a flush");
      assertEquals("chunk-" + (i - 1), new JsonObject(lines.get(lines.size() - 1)).getString("request_id"));
    }
  }

  @Test
  void whatIsPendingIsWrittenOnceItHasLingered() throws IOException {
    Path file = dir.resolve("linger.jsonl");
    long lingerMs = 1_000;
    AtomicLong clock = new AtomicLong(); // nanoseconds, moved by the test
    try (RequestLog log = new RequestLog(file, Long.MAX_VALUE, lingerMs, clock::get)) {
      log.write(TelemetryFixtures.ok("linger-0", Telemetry.epochNanos()));
      clock.addAndGet(lingerMs * 1_000_000 - 1);
      log.writeLingering();
      assertEquals(List.of(), lines(file), "not yet: it has not waited");
      clock.addAndGet(1);
      log.writeLingering();
      assertEquals(1, lines(file).size(), "once it has waited lingerMs");
      log.write(TelemetryFixtures.ok("linger-1", Telemetry.epochNanos()));
      clock.addAndGet(lingerMs * 1_000_000 / 2);
      log.writeLingering();
      assertEquals(1, lines(file).size(), "the wait starts again with the next pending line");
      clock.addAndGet(lingerMs * 1_000_000 / 2);
      log.writeLingering();
      assertEquals(2, lines(file).size());
    }
  }

  @Test
  void aFileMovedAwayOrDeletedIsLetGoOfAndThePathOpenedAnew() throws IOException {
    Path file = dir.resolve("logs/moved.jsonl");
    Path moved = dir.resolve("logs/moved.jsonl.1");
    AtomicLong clock = new AtomicLong();
    long second = RequestLog.MOVED_CHECK_NANOS;
    try (RequestLog log = new RequestLog(file, Long.MAX_VALUE, LINGER_MS, clock::get)) {
      log.write(TelemetryFixtures.ok("before-move", Telemetry.epochNanos()));
      log.flush();
      Files.move(file, moved); // logrotate, create mode
      log.write(TelemetryFixtures.ok("pending-at-move", Telemetry.epochNanos()));
      clock.addAndGet(second - 1);
      log.writeLingering();
      log.write(TelemetryFixtures.ok("still-old-file", Telemetry.epochNanos()));
      clock.addAndGet(1);
      log.writeLingering(); // a second on: the path names no file, so the log lets go of the moved one
      log.write(TelemetryFixtures.ok("after-move", Telemetry.epochNanos()));
      log.flush();
      assertEquals(List.of("before-move", "pending-at-move", "still-old-file"), ids(moved));
      assertEquals(List.of("after-move"), ids(file));

      deleteTree(dir.resolve("logs")); // rm -rf of the log's directory
      clock.addAndGet(second);
      log.writeLingering();
      log.write(TelemetryFixtures.ok("after-delete", Telemetry.epochNanos()));
      log.flush();
      assertEquals(List.of("after-delete"), ids(file));
      assertEquals(0, log.errors());
    }
  }

  private static List<String> ids(Path file) {
    return lines(file).stream().map(l -> new JsonObject(l).getString("request_id")).toList();
  }

  private static void deleteTree(Path root) throws IOException {
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Test
  void linesAWriteFailsToStoreAreCountedAndTheLogWritesAgainOnceItCan() throws IOException {
    Path blocker = dir.resolve("not-a-dir");
    Files.writeString(blocker, "a file where the log's directory should be");
    Path file = blocker.resolve("requests.jsonl");
    long now = Telemetry.epochNanos();
    try (RequestLog log = new RequestLog(file, Long.MAX_VALUE, LINGER_MS, System::nanoTime)) {
      log.write(TelemetryFixtures.ok("lost-0", now));
      log.write(TelemetryFixtures.ok("lost-1", now));
      assertEquals(2, log.errors(), "each line that found no file is counted");
      Files.delete(blocker);
      log.write(TelemetryFixtures.ok("kept-0", now));
      log.flush();
      assertEquals(2, log.errors());
      assertEquals(List.of("kept-0"), lines(file).stream().map(l -> new JsonObject(l).getString("request_id")).toList());
    }
  }

  @Test
  void linesPendingWhenTheDiskFillsAreCountedAsLost() {
    Path full = Path.of("/dev/full"); // every write fails with ENOSPC
    Assumptions.assumeTrue(Files.isWritable(full), "needs Linux's /dev/full");
    long now = Telemetry.epochNanos();
    RequestLog log = new RequestLog(full, Long.MAX_VALUE, LINGER_MS, System::nanoTime);
    for (int i = 0; i < 3; i++) {
      log.write(TelemetryFixtures.ok("full-" + i, now));
    }
    assertEquals(0, log.errors(), "still buffered");
    log.flush();
    assertEquals(3, log.errors(), "the three pending lines are lost, and counted");
    log.write(TelemetryFixtures.ok("full-3", now));
    log.close();
    assertEquals(4, log.errors(), "the log reopens and fails again at the close's flush");
  }

  private static long sizeOf(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
