package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The request log's hand-written JSON is byte for byte what the {@code JsonObject} encoding it
 * replaced made ({@link #oracle}), on nasty records and on random ones.
 */
class JsonLineEncoderTest {
  private static final long MS = 1_000_000L;
  private static final long SEC = 1_000 * MS;
  /** 2024-02-29T23:59:59.999Z, a leap day's last millisecond. */
  private static final long LEAP = Instant.parse("2024-02-29T23:59:59.999Z").toEpochMilli() * MS;
  private static final String NASTY = "\"\\/\b\t\n\f\r\u0000\u0001\u001f\u007f\u0080é€\u2028\u2029\ufeff\uffff"
      + "😀\ud800x\udc00\ud83d";

  private final JsonLineEncoder encoder = new JsonLineEncoder(); // one for all: reuse is part of the test

  /** The line as the request log wrote it before: a JsonObject, encoded by Jackson, then UTF-8. */
  static byte[] oracle(RequestRecord r) {
    JsonArray attempts = new JsonArray();
    for (AttemptRecord a : r.attempts()) {
      attempts.add(new JsonObject()
          .put("provider", a.provider())
          .put("status", a.status() > 0 ? a.status() : null)
          .put("error", a.error())
          .put("ms", millis(a.endEpochNanos() - a.startEpochNanos())));
    }
    JsonObject line = new JsonObject()
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
    return (line.encode() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static double millis(long nanos) {
    return Math.max(0, nanos / 1000) / 1000.0;
  }

  private void assertEncodesAsBefore(RequestRecord r) {
    byte[] expected = oracle(r);
    int length = encoder.encode(r);
    ByteBuffer written = ByteBuffer.allocate(length);
    int part = length / 3; // in two pieces, as when a line straddles two chunks of the log
    encoder.copyTo(written, 0, part);
    encoder.copyTo(written, part, length - part);
    assertFalse(written.hasRemaining(), "the length returned is what is copied");
    byte[] actual = written.array();
    assertEquals(expected.length, length);
    assertArrayEquals(expected, actual, () -> "expected " + new String(expected, StandardCharsets.UTF_8)
        + "\n but was " + new String(actual, StandardCharsets.UTF_8) + "\n for " + r);
  }

  private byte[] encoded(RequestRecord r) {
    int length = encoder.encode(r);
    ByteBuffer line = ByteBuffer.allocate(length);
    encoder.copyTo(line, 0, length);
    return line.array();
  }

  private static RequestRecord record(String id, String model, int status, boolean stream, List<AttemptRecord> attempts,
      long start, long end, long ttft, long in, long out, long bytesOut) {
    return new RequestRecord(id, 0, 0, "/v1/chat/completions", "chat", model, "A", model, null, status, Outcome.OK, stream,
        attempts, start, end, ttft, in, out, List.of(), bytesOut, 1, 1, 1, 0, true, null);
  }

  private static AttemptRecord attempt(String provider, int status, String error, long start, long end) {
    return new AttemptRecord(provider, "m", status, error, error == null ? null : "_OTHER", start, end, 1);
  }

  @Test
  void theFixturesMatch() {
    long now = Telemetry.epochNanos();
    assertEncodesAsBefore(TelemetryFixtures.ok("log-1", now));
    assertEncodesAsBefore(TelemetryFixtures.failover("log-2", now));
    assertEncodesAsBefore(TelemetryFixtures.failed("log-3", now));
  }

  @Test
  void idsTheGatewayMadeMatch() {
    long now = Telemetry.epochNanos();
    Random random = new Random(11);
    List<long[]> bits = new ArrayList<>(List.of(TelemetryFixtures.ID_BITS));
    for (int i = 0; i < 1_000; i++) {
      bits.add(new long[] {random.nextLong(), random.nextLong()});
    }
    for (long[] b : bits) {
      assertEncodesAsBefore(TelemetryFixtures.madeId(TelemetryFixtures.ok("x", now), b[0], b[1]));
      assertEncodesAsBefore(TelemetryFixtures.madeId(TelemetryFixtures.failover("x", now), b[0], b[1]));
      assertEncodesAsBefore(TelemetryFixtures.madeId(random(random), b[0], b[1]));
    }
  }

  @Test
  void anIdTheGatewayMadeIsWrittenFromItsBitsNotItsText() {
    // the point of the bits: the worker reads nothing of the text, made on another core
    RequestRecord r = TelemetryFixtures.withId(TelemetryFixtures.ok("never-read", Telemetry.epochNanos()),
        "never-read", 0x0123456789abcdefL, 0x0fedcba987654321L);
    String line = new String(encoded(r), StandardCharsets.UTF_8);
    assertTrue(line.contains("\"request_id\":\"0123456789abcdef0fedcba987654321\""), line);
  }

  @Test
  void nastyRecordsMatch() {
    long t = 1_700_000_000L * SEC;
    List<RequestRecord> table = new ArrayList<>();
    table.add(record(null, null, 0, false, List.of(), t, t, -1, -1, -1, 0)); // nulls, no attempts
    table.add(new RequestRecord(null, 0, 0, null, null, null, null, null, null, -5, Outcome.CLIENT_CLOSED, true,
        List.of(attempt(null, -1, null, t, t - SEC)), t, t - 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, null,
        Long.MIN_VALUE, 0, 0, 0, 0, true, null));
    table.add(record(TelemetryFixtures.latin1(NASTY), NASTY, 200, true, List.of(attempt(NASTY, 599, NASTY, t, t + 1)), t,
        t + 999, 999, 0, 0, Long.MAX_VALUE));
    table.add(record("", "", Integer.MAX_VALUE, true, List.of(), t, t + 1000, 0, 1, 1, -1));
    for (char c = 0; c < 0x100; c++) { // every control char, every ASCII and Latin-1 char alone
      table.add(record(String.valueOf(c), "a" + c + "b", 200, false, List.of(), t + c * MS, t, -1, 1, 2, 3));
    }
    for (String lone : List.of("\ud800", "\udbff", "\udc00", "\udfff", "\udc00\ud800", "a\ud83d", "\ude00b")) {
      table.add(record("lone", lone + lone, 200, false, List.of(), t, t, -1, 1, 2, 3));
    }
    // milliseconds: sub-ms, trailing zeros, the 10⁷ ms switch to E notation, overflow, negatives
    long[] durations = {0, 1, 999, 1000, 1001, 1010, 1100, 10_000, 100_000, 123_456_789, 1_000_000_000,
        9_999_999_999_999L, 9_999_999_999_000L, 10_000_000_000_000L, 10_000_000_001_000L, 123_456_789_012_345L,
        Long.MAX_VALUE, -1, -999, -1000, Long.MIN_VALUE};
    for (long d : durations) {
      table.add(record("d", "m", 200, true, List.of(attempt("A", 200, null, t, t + d)), t, t + d, d, 1, 2, 3));
      table.add(record("d", "m", 200, true, List.of(), 0, d, d, 1, 2, 3));
    }
    // timestamps: whole seconds (no .SSS), day and year edges, before 1970, the extremes (1677, 2262)
    for (String iso : List.of("1970-01-01T00:00:00Z", "1999-12-31T23:59:59.999Z", "2000-01-01T00:00:00Z",
        "2024-02-29T12:00:00.100Z", "2100-03-01T00:00:00.010Z", "2262-04-11T00:00:00Z",
        "1969-12-31T23:59:59.999Z", "1900-01-01T00:00:00Z")) {
      long nanos = Instant.parse(iso).toEpochMilli() * MS;
      table.add(record("ts", "m", 200, false, List.of(), nanos, nanos, -1, 1, 2, 3));
      table.add(record("ts", "m", 200, false, List.of(), nanos + 999_999, nanos, -1, 1, 2, 3)); // sub-ms dropped
    }
    for (long start : new long[] {-1, -MS, -MS - 1, LEAP, LEAP + MS, Long.MAX_VALUE, Long.MIN_VALUE}) {
      table.add(record("ts", "m", 200, false, List.of(), start, start, -1, 1, 2, 3));
    }
    table.add(record("x".repeat(100_000), NASTY.repeat(5_000), 200, false, List.of(), t, t, -1, 1, 2, 3)); // grows
    table.add(record("small again", "m", 200, false, List.of(), t, t, -1, 1, 2, 3)); // after the buffer is dropped
    for (Outcome o : Outcome.values()) {
      table.add(new RequestRecord("o", 0, 0, "/p", "chat", "m", "A", "m", null, 200, o, false, List.of(), t, t, -1, 1, 2,
          List.of(), 3, 1, 1, 1, 0, true, null));
    }
    table.forEach(this::assertEncodesAsBefore);
  }

  @Test
  void randomRecordsMatch() {
    Random random = new Random(20240229);
    for (int i = 0; i < 5_000; i++) {
      assertEncodesAsBefore(random(random));
    }
  }

  /**
   * Values from small pools: most lines repeat a run of one of the last few ({@link RunCache}),
   * equal strings come in new instances, and more than {@value RunCache#ENTRIES} distinct runs evict
   * one another.
   */
  @Test
  void repeatedValuesMatch() {
    Random random = new Random(5);
    String[] models = {"bench", "gpt-4o", null, "", "modèle", "a\"b"};
    String[] providers = {"mock", "openai", null, "Ω"};
    String[] errors = {null, null, "timeout", "rate_limited"};
    int[] statuses = {200, 200, 429, 503, 0};
    Outcome[] outcomes = Outcome.values();
    long t = 1_700_000_000L * SEC;
    for (int i = 0; i < 5_000; i++) {
      String model = models[random.nextInt(models.length)];
      String upstream = model == null || random.nextBoolean() ? model : new String(model.toCharArray());
      List<AttemptRecord> attempts = new ArrayList<>();
      for (int a = random.nextInt(3); a > 0; a--) {
        String error = errors[random.nextInt(errors.length)];
        attempts.add(new AttemptRecord(providers[random.nextInt(providers.length)], upstream,
            statuses[random.nextInt(statuses.length)], error, error == null ? null : "_OTHER", t,
            t + random.nextInt(5000) * 1000L, 1));
      }
      assertEncodesAsBefore(new RequestRecord("r" + i, 0, 0, random.nextBoolean() ? "/v1/chat/completions" : "/v1/embeddings",
          "chat", model, providers[random.nextInt(providers.length)], upstream, null, statuses[random.nextInt(statuses.length)],
          outcomes[random.nextInt(outcomes.length)], random.nextBoolean(), attempts, t, t + random.nextInt(9000) * 1000L,
          random.nextInt(3) - 1, random.nextInt(3) - 1, 16, List.of(), 10, 1, 1, 1, 0, true, null));
    }
  }

  @Test
  void everyMillisecondFractionMatches() {
    long t = 1_700_000_000L * SEC;
    for (long micros = 0; micros < 20_000; micros++) {
      long nanos = micros * 1000 + micros % 1000; // sub-µs nanos are dropped
      assertEncodesAsBefore(record("f", "m", 200, true, List.of(), t, t + nanos, nanos, 1, 2, 3));
    }
  }

  private static RequestRecord random(Random r) {
    long start = switch (r.nextInt(6)) {
      case 0 -> r.nextLong();
      case 1 -> (1_600_000_000L + r.nextInt(400_000_000)) * SEC; // a whole second
      case 2 -> (1_600_000_000_000L + (long) r.nextInt(1_000_000_000) * 400) * MS + r.nextInt(1_000_000);
      default -> 1_700_000_000L * SEC + (long) (r.nextDouble() * 1e17);
    };
    int n = r.nextInt(4);
    List<AttemptRecord> attempts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long s = start + duration(r);
      String error = string(r);
      attempts.add(new AttemptRecord(string(r), string(r), status(r), error, error == null ? null : "_OTHER", s,
          s + duration(r), 0x0123456789abcdefL));
    }
    return new RequestRecord(TelemetryFixtures.latin1(string(r)), 0, 0, string(r), "chat", string(r), string(r), string(r),
        string(r), status(r),
        Outcome.values()[r.nextInt(Outcome.values().length)], r.nextBoolean(), attempts, start,
        start + duration(r), r.nextInt(4) == 0 ? -1 : duration(r), count(r), count(r), List.of(), count(r), 1, 1, 1,
        0, true, null);
  }

  private static long duration(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> r.nextLong();
      case 1 -> -r.nextInt(1_000_000);
      case 2 -> r.nextInt(1_000) * MS; // whole milliseconds
      case 3 -> (long) (r.nextDouble() * 2e13); // around the 10⁷ ms switch
      default -> r.nextInt(Integer.MAX_VALUE);
    };
  }

  private static int status(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> 0;
      case 1 -> r.nextInt();
      default -> 100 + r.nextInt(500);
    };
  }

  private static long count(Random r) {
    return switch (r.nextInt(5)) {
      case 0 -> -1;
      case 1 -> r.nextLong();
      case 2 -> r.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE;
      default -> r.nextInt(100_000);
    };
  }

  /** Null, or up to 12 chars from everywhere: controls, quotes, Latin-1, BMP, pairs, lone surrogates. */
  private static String string(Random r) {
    if (r.nextInt(10) == 0) {
      return null;
    }
    StringBuilder b = new StringBuilder();
    for (int i = r.nextInt(13); i > 0; i--) {
      switch (r.nextInt(8)) {
        case 0 -> b.append((char) r.nextInt(0x20));
        case 1 -> b.append("\"\\/\u007f".charAt(r.nextInt(4)));
        case 2 -> b.append((char) (0x80 + r.nextInt(0x780))); // two UTF-8 bytes
        case 3 -> b.append((char) r.nextInt(0x10000)); // anything, lone surrogates included
        case 4 -> b.appendCodePoint(0x10000 + r.nextInt(0x100000)); // a surrogate pair
        default -> b.append((char) (0x20 + r.nextInt(0x60)));
      }
    }
    return b.toString();
  }
}
