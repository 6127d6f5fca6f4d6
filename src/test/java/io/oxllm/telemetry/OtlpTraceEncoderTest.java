package io.oxllm.telemetry;

import static io.oxllm.telemetry.TelemetryFixtures.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hand-written OTLP trace encoding against the SDK's own marshaler as the oracle: the same
 * records through {@link Spans} (SDK {@code SpanData}) and {@code TraceRequestMarshaler} must
 * decode to the same message, up to four differences that are ours on purpose and normalized
 * away: attribute order (the SDK sorts by key), an UNSET status (the SDK writes an empty one), an
 * empty string value (the SDK leaves the AnyValue empty; we write {@code string_value: ""}), and the
 * "parent is remote" flag on a span without a parent (the SDK keeps it for an invalid client parent).
 */
class OtlpTraceEncoderTest {
  private static final io.opentelemetry.sdk.resources.Resource RESOURCE = io.opentelemetry.sdk.resources.Resource
      .getDefault().merge(io.opentelemetry.sdk.resources.Resource.create(Attributes.of(
          AttributeKey.stringKey("service.name"), "oxllm-test", AttributeKey.longKey("n"), 3L,
          AttributeKey.booleanKey("b"), true, AttributeKey.doubleKey("d"), 1.5,
          AttributeKey.stringArrayKey("list"), List.of("x", "y"))));
  private static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.builder("io.oxllm.telemetry")
      .setVersion("9.9.9").build();

  private final OtlpTraceEncoder encoder = new OtlpTraceEncoder(RESOURCE, SCOPE);
  private final Spans oracle = new Spans(RESOURCE, SCOPE);

  private ExportTraceServiceRequest ours(List<RequestRecord> records) {
    encoder.start();
    for (RequestRecord r : records) {
      encoder.append(r);
    }
    return parse(encoder.finish(null));
  }

  private ExportTraceServiceRequest sdk(List<RequestRecord> records) {
    List<SpanData> spans = new ArrayList<>();
    records.forEach(r -> spans.addAll(oracle.of(r)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      TraceRequestMarshaler.create(spans).writeBinaryTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return parse(out.toByteArray());
  }

  private static ExportTraceServiceRequest parse(OtlpTraceEncoder.Encoded encoded) {
    try {
      return ExportTraceServiceRequest.parser().parseFrom(encoded.message());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ExportTraceServiceRequest parse(byte[] bytes) {
    try {
      return ExportTraceServiceRequest.parseFrom(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Attributes sorted by key everywhere; an UNSET status the same as none; see the class comment. */
  private static ExportTraceServiceRequest normalized(ExportTraceServiceRequest request) {
    ExportTraceServiceRequest.Builder b = request.toBuilder();
    for (ResourceSpans.Builder rs : b.getResourceSpansBuilderList()) {
      Resource.Builder resource = rs.getResourceBuilder();
      List<KeyValue> attrs = sorted(resource.getAttributesList());
      resource.clearAttributes().addAllAttributes(attrs);
      for (ScopeSpans.Builder ss : rs.getScopeSpansBuilderList()) {
        for (Span.Builder span : ss.getSpansBuilderList()) {
          List<KeyValue> spanAttrs = sorted(span.getAttributesList()).stream().map(OtlpTraceEncoderTest::emptyString).toList();
          if (span.getParentSpanId().isEmpty()) {
            span.setFlags(span.getFlags() & ~0x200);
          }
          span.clearAttributes().addAllAttributes(spanAttrs);
          if (span.getStatus().getCode() == Status.StatusCode.STATUS_CODE_UNSET && span.getStatus().getMessage().isEmpty()) {
            span.clearStatus();
          }
        }
      }
    }
    return b.build();
  }

  private static KeyValue emptyString(KeyValue kv) {
    KeyValue.Builder b = kv.toBuilder();
    AnyValue v = kv.getValue();
    if (v.hasStringValue() && v.getStringValue().isEmpty()) {
      b.setValue(AnyValue.getDefaultInstance());
    } else if (v.hasArrayValue()) {
      ArrayValue.Builder array = ArrayValue.newBuilder();
      for (AnyValue item : v.getArrayValue().getValuesList()) {
        array.addValues(item.hasStringValue() && item.getStringValue().isEmpty() ? AnyValue.getDefaultInstance() : item);
      }
      b.setValue(AnyValue.newBuilder().setArrayValue(array));
    }
    return b.build();
  }

  private static List<KeyValue> sorted(List<KeyValue> attrs) {
    return attrs.stream().sorted(Comparator.comparing(KeyValue::getKey)).toList();
  }

  private void assertSameAsSdk(List<RequestRecord> records) {
    ExportTraceServiceRequest expected = normalized(sdk(records));
    ExportTraceServiceRequest actual = normalized(ours(records));
    assertEquals(expected, actual);
  }

  @Test
  void theFixturesEncodeAsTheSdkWouldEncodeThem() {
    long t = Telemetry.epochNanos();
    assertSameAsSdk(List.of(TelemetryFixtures.ok("r-ok", t)));
    assertSameAsSdk(List.of(TelemetryFixtures.failover("r-fo", t, TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow(),
        TraceIds.newSpanId())));
    assertSameAsSdk(List.of(TelemetryFixtures.failed("r-failed", t)));
    assertSameAsSdk(List.of(TelemetryFixtures.ok("a", t), TelemetryFixtures.failed("b", t),
        TelemetryFixtures.failover("c", t)));
  }

  @Test
  void idsTheGatewayMadeEncodeAsTheSdkWouldEncodeThem() {
    long t = Telemetry.epochNanos();
    Random random = new Random(5);
    List<RequestRecord> records = new ArrayList<>();
    for (long[] b : TelemetryFixtures.ID_BITS) {
      records.add(TelemetryFixtures.madeId(TelemetryFixtures.ok("x", t), b[0], b[1]));
      // two attempts: their spans repeat the request span's id attribute
      records.add(TelemetryFixtures.madeId(TelemetryFixtures.failover("x", t), b[0], b[1]));
    }
    for (int i = 0; i < 300; i++) {
      records.add(TelemetryFixtures.madeId(randomRecord(random), random.nextLong(), random.nextLong()));
    }
    assertSameAsSdk(records);
  }

  @Test
  void anIdTheGatewayMadeIsWrittenFromItsBitsNotItsText() {
    RequestRecord r = TelemetryFixtures.withId(TelemetryFixtures.failover("never-read", Telemetry.epochNanos()),
        "never-read", 0x0123456789abcdefL, 0x0fedcba987654321L);
    List<Span> spans = ours(List.of(r)).getResourceSpans(0).getScopeSpans(0).getSpansList();
    assertEquals(3, spans.size(), "the request's span and one per attempt");
    for (Span s : spans) {
      String id = s.getAttributesList().stream().filter(kv -> kv.getKey().equals(SemConv.REQUEST_ID.getKey()))
          .findFirst().orElseThrow().getValue().getStringValue();
      assertEquals("0123456789abcdef0fedcba987654321", id);
    }
  }

  @Test
  void oddRecordsToo() {
    long t = Telemetry.epochNanos();
    String longModel = "m".repeat(20_000) + "é"; // lengths that need 3-byte varints
    AttemptRecord noId = new AttemptRecord("A", "m", 200, null, null, t, t + MS, 0);
    AttemptRecord highBit = new AttemptRecord("A", "m", 429, null, null, t, t + MS, 0xABCDEF0123456789L);
    AttemptRecord good = new AttemptRecord("Ω-provider", "", 0, "connect error: no route", "connect_error", t + 2 * MS, t + MS,
        TraceIds.newSpanId());
    List<RequestRecord> records = List.of(
        // end before start (clamped), empty and unicode strings, an unpaired surrogate, an attempt without an
        // id, ids with the sign bit set
        new RequestRecord("", 0, 0, "/v1/embeddings", "embeddings", longModel, "Ω-provider", "", "\uD83D\uDE00 \uD800x",
            0, Outcome.CLIENT_CLOSED, true, List.of(noId, highBit, good), t, t - 5, 3 * MS, 0, 0,
            List.of("", "stop"), 0, -1L, 0x8000000000000000L, -2L, 0, true, null),
        // no model at all; a client parent; a huge token count
        new RequestRecord("rid", 0, 0, "/v1/completions", "text_completion", null, null, null, null, 400, Outcome.REJECTED,
            false, List.of(), t, t + MS, -1, Long.MAX_VALUE, -1, List.of(), 12, TraceIds.newTraceIdHigh(),
            TraceIds.newTraceIdLow(), TraceIds.newSpanId(), TraceIds.newSpanId(), true, "invalid_request"));
    assertSameAsSdk(records);
  }

  @Test
  void recordsWithoutUsableIdsMakeNoSpans() {
    long t = Telemetry.epochNanos();
    RequestRecord ok = TelemetryFixtures.ok("r", t);
    // an all-zero trace id, a zero span id (W3C: invalid; a trace id with one half zero is valid)
    for (long[] ids : new long[][] {{0, 0, ok.spanId()}, {ok.traceIdHigh(), ok.traceIdLow(), 0}}) {
      RequestRecord r = new RequestRecord("r", 0, 0, ok.path(), ok.operation(), ok.requestedModel(), ok.provider(),
          ok.upstreamModel(), ok.responseModel(), 200, Outcome.OK, false, ok.attempts(), t, t + MS, -1, 1, 1,
          List.of(), 1, ids[0], ids[1], ids[2], 0, true, null);
      encoder.start();
      assertEquals(0, encoder.append(r));
      assertEquals(2, encoder.append(ok), "a good record after a bad one still encodes (request + attempt)");
      ExportTraceServiceRequest req = parse(encoder.finish(null));
      assertEquals(2, req.getResourceSpans(0).getScopeSpans(0).getSpansCount());
    }
  }

  /**
   * Spans far larger than usual (a 100 KB model name, in each span's name and attributes) outgrow
   * the export's first buffer ({@link OtlpTraceEncoder#EXPORT_BYTES}): it grows, keeps what it held,
   * and the lengths in front of the spans take four bytes instead of three.
   */
  @Test
  void anExportLargerThanItsFirstBufferGrowsAndKeepsEverySpan() {
    long t = Telemetry.epochNanos();
    String model = "m".repeat(100_000);
    List<RequestRecord> records = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      RequestRecord ok = TelemetryFixtures.ok("r-" + i, t);
      AttemptRecord a = ok.attempts().get(0);
      records.add(new RequestRecord(ok.requestId(), ok.requestIdHigh(), ok.requestIdLow(), ok.path(), ok.operation(),
          model + i, ok.provider(), model,
          model, 200, Outcome.OK, false, List.of(new AttemptRecord(a.provider(), model, 200, null, null,
              a.startEpochNanos(), a.endEpochNanos(), a.spanId())), t, t + MS, -1, 1, 1, List.of("stop"), 1,
          ok.traceIdHigh(), ok.traceIdLow(), ok.spanId(), 0, true, null));
    }
    encoder.start();
    for (RequestRecord r : records) {
      encoder.append(r);
    }
    OtlpTraceEncoder.Encoded encoded = encoder.finish(null);
    // 2 MB, the first buffer, is also the most a three-byte varint length can say
    assertTrue(encoded.length() > OtlpTraceEncoder.EXPORT_BYTES, "grew past the first buffer: " + encoded.length());
    assertEquals(normalized(sdk(records)), normalized(parse(encoded)));
  }

  @Test
  void randomRecordsInFullBatches() {
    Random random = new Random(42);
    for (int round = 0; round < 20; round++) {
      List<RequestRecord> records = new ArrayList<>();
      for (int i = 0; i < 1 + random.nextInt(300); i++) {
        records.add(randomRecord(random));
      }
      assertSameAsSdk(records);
    }
  }

  /**
   * Values drawn from small pools, so that most records repeat one of the last few requests' runs
   * (found in the encoder's {@link RunCache}s), some differ from the one before in a single value
   * (equal strings in new instances included), and more than {@value RunCache#ENTRIES} distinct runs
   * evict one another.
   */
  @Test
  void repeatedValuesEncodeAsTheSdkWouldEncodeThem() {
    Random random = new Random(7);
    String[] models = {"bench", "gpt-4o", "llama3", null, "", "modèle"};
    String[] providers = {"mock", "openai", "Ω-provider", null};
    String[] errors = {null, null, null, "timeout", "rate_limited"};
    int[] statuses = {200, 200, 200, 429, 503, 0};
    List<List<String>> reasons = List.of(List.of(), List.of("stop"), List.of("stop"), List.of("length"),
        List.of("stop", "length"));
    Outcome[] outcomes = Outcome.values();
    for (int round = 0; round < 10; round++) {
      List<RequestRecord> records = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        long t = 1_000_000_000L * (1 + random.nextInt(1000));
        String provider = providers[random.nextInt(providers.length)];
        String model = models[random.nextInt(models.length)];
        // a new instance now and then: a hit must not depend on identity
        String upstream = model == null || random.nextBoolean() ? model : new String(model.toCharArray());
        List<AttemptRecord> attempts = new ArrayList<>();
        for (int a = random.nextInt(3); a > 0; a--) {
          String error = errors[random.nextInt(errors.length)];
          attempts.add(new AttemptRecord(providers[random.nextInt(providers.length)], upstream,
              statuses[random.nextInt(statuses.length)], error, typeOf(error), t, t + MS, TraceIds.newSpanId()));
        }
        records.add(new RequestRecord("req-" + i, 0, 0, random.nextBoolean() ? "/v1/chat/completions" : "/v1/embeddings",
            random.nextBoolean() ? "chat" : "embeddings", model, provider, upstream, models[random.nextInt(models.length)],
            statuses[random.nextInt(statuses.length)], outcomes[random.nextInt(outcomes.length)], random.nextBoolean(),
            attempts, t, t + 2 * MS, -1, random.nextInt(3) - 1, random.nextInt(100),
            reasons.get(random.nextInt(reasons.size())), 10,
            TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow(), TraceIds.newSpanId(), 0, true,
            errors[random.nextInt(errors.length)]));
      }
      assertSameAsSdk(records);
    }
  }

  private static RequestRecord randomRecord(Random random) {
    long t = Math.abs(random.nextLong() >>> 2);
    List<AttemptRecord> attempts = new ArrayList<>();
    for (int i = random.nextInt(4); i > 0; i--) {
      String error = random.nextBoolean() ? null : text(random);
      attempts.add(new AttemptRecord(text(random), text(random), random.nextInt(3) * 250, error, typeOf(error),
          t + random.nextInt(1000), t + random.nextInt(1_000_000), TraceIds.newSpanId()));
    }
    Outcome[] outcomes = Outcome.values();
    return new RequestRecord(TelemetryFixtures.latin1(text(random)), 0, 0, "/v1/chat/completions",
        random.nextBoolean() ? "chat" : "embeddings",
        text(random), text(random), text(random), text(random), random.nextInt(600), outcomes[random.nextInt(outcomes.length)],
        random.nextBoolean(), attempts, t, t + random.nextInt(10_000_000), random.nextInt(5) - 1,
        random.nextInt(5) - 1, random.nextLong(), random.nextBoolean() ? List.of() : List.of(String.valueOf(text(random)), "stop"),
        random.nextInt(100_000), random.nextBoolean() ? 0 : random.nextLong(), TraceIds.newTraceIdLow(),
        TraceIds.newSpanId(), random.nextBoolean() ? 0 : TraceIds.newSpanId(), true,
        random.nextBoolean() ? null : text(random));
  }

  /** Null, empty, ASCII, or a mix of code points including controls, astral ones and lone surrogates. */
  private static String text(Random random) {
    int kind = random.nextInt(6);
    if (kind == 0) {
      return null;
    }
    if (kind == 1) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    for (int i = random.nextInt(kind == 2 ? 40 : 200); i >= 0; i--) {
      switch (random.nextInt(kind == 2 ? 1 : 5)) {
        case 0 -> b.append((char) ('a' + random.nextInt(26)));
        case 1 -> b.append((char) random.nextInt(0x20));
        case 2 -> b.append((char) (0x80 + random.nextInt(0x780)));
        case 3 -> b.appendCodePoint(0x10000 + random.nextInt(0x1000));
        default -> b.append((char) (0xD800 + random.nextInt(0x800)));
      }
    }
    return b.toString();
  }

  /** An attempt error's fixed type, as its producer would name it; a few names, like the real ones. */
  private static String typeOf(String error) {
    return error == null ? null : List.of("connect_error", "first_byte_timeout", "_OTHER").get(Math.floorMod(error.hashCode(), 3));
  }
}
