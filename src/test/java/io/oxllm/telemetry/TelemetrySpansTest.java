package io.oxllm.telemetry;

import static io.oxllm.telemetry.TelemetryFixtures.MS;
import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.oxllm.config.TelemetryConfig;
import io.oxllm.testing.OtlpReceiver;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spans over real OTLP/HTTP into a test collector: the records' own ids, parent links and times,
 * the GenAI attributes, and trace continuity client → gateway → upstream at the id level.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TelemetrySpansTest {
  private static final Duration SOON = Duration.ofSeconds(10);
  private static final HexFormat HEX = HexFormat.of();

  private static Map<String, Span> byId(List<Span> spans) {
    return spans.stream().collect(Collectors.toMap(s -> HEX.formatHex(s.getSpanId().toByteArray()), Function.identity()));
  }

  @Test
  void requestAndAttemptSpansCarryTheRecordsIdsParentsTimesAndAttributes(Vertx vertx) {
    OtlpReceiver collector = await(OtlpReceiver.start(vertx));
    TelemetryConfig c = TelemetryFixtures.config(collector.endpoint(), 1024, "");
    TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c, TelemetryFixtures.fast(c));
    String clientTrace = TelemetryFixtures.traceIdHex(TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow());
    String clientSpan = TelemetryFixtures.spanIdHex(TraceIds.newSpanId());
    TraceIds.Parent parent = TraceIds.parse("00-" + clientTrace + "-" + clientSpan + "-01");
    long start = Telemetry.epochNanos();
    RequestRecord r = TelemetryFixtures.failover("req-span-1", start, parent.traceIdHigh(), parent.traceIdLow(),
        parent.spanId());
    assertTrue(running.telemetry().offer(r));

    List<Span> spans = until(SOON, collector::spans, s -> s.size() >= 3, "request + 2 attempt spans");
    assertEquals(3, spans.size(), spans::toString);
    assertEquals(0, collector.rejected());
    Map<String, Span> byId = byId(spans);
    Span server = byId.get(TelemetryFixtures.spanIdHex(r.spanId()));
    assertNotNull(server, "the request span has the record's span id");
    assertEquals(Span.SpanKind.SPAN_KIND_SERVER, server.getKind());
    assertEquals("chat v", server.getName());
    assertEquals(clientTrace, HEX.formatHex(server.getTraceId().toByteArray()));
    assertEquals(clientSpan, HEX.formatHex(server.getParentSpanId().toByteArray()), "child of the client's span");
    assertEquals(r.startEpochNanos(), server.getStartTimeUnixNano());
    assertEquals(r.endEpochNanos(), server.getEndTimeUnixNano());
    Map<String, String> attrs = OtlpReceiver.attributes(server.getAttributesList());
    assertEquals("chat", attrs.get("gen_ai.operation.name"));
    assertEquals("B", attrs.get("gen_ai.provider.name"));
    assertEquals("v", attrs.get("gen_ai.request.model"));
    assertEquals("m-b", attrs.get("gen_ai.response.model"));
    assertEquals("7", attrs.get("gen_ai.usage.input_tokens"));
    assertEquals("30", attrs.get("gen_ai.usage.output_tokens"));
    assertEquals("stop,length", attrs.get("gen_ai.response.finish_reasons"));
    assertEquals("2", attrs.get("oxllm.attempts"));
    assertEquals("req-span-1", attrs.get("oxllm.request_id"));
    assertEquals("200", attrs.get("http.response.status_code"));
    assertFalse(attrs.containsKey("error.type"), attrs::toString);

    for (AttemptRecord a : r.attempts()) {
      Span attempt = byId.get(TelemetryFixtures.spanIdHex(a.spanId()));
      assertNotNull(attempt, "attempt span " + TelemetryFixtures.spanIdHex(a.spanId()));
      assertEquals(Span.SpanKind.SPAN_KIND_CLIENT, attempt.getKind());
      assertEquals("chat " + a.upstreamModel(), attempt.getName());
      assertEquals(clientTrace, HEX.formatHex(attempt.getTraceId().toByteArray()));
      assertEquals(TelemetryFixtures.spanIdHex(r.spanId()), HEX.formatHex(attempt.getParentSpanId().toByteArray()),
          "child of the request span");
      assertEquals(a.startEpochNanos(), attempt.getStartTimeUnixNano());
      assertEquals(a.endEpochNanos(), attempt.getEndTimeUnixNano());
      Map<String, String> aa = OtlpReceiver.attributes(attempt.getAttributesList());
      assertEquals(a.provider(), aa.get("gen_ai.provider.name"));
      assertEquals(a.upstreamModel(), aa.get("gen_ai.request.model"));
      assertEquals(Integer.toString(a.status()), aa.get("http.response.status_code"));
    }
    Span first = byId.get(TelemetryFixtures.spanIdHex(r.attempts().get(0).spanId()));
    assertEquals("503", OtlpReceiver.attributes(first.getAttributesList()).get("error.type"));
    assertEquals(Status.StatusCode.STATUS_CODE_ERROR, first.getStatus().getCode());
    assertEquals(4 * MS, first.getEndTimeUnixNano() - first.getStartTimeUnixNano(), "a real duration");
    assertTrue(collector.spanResources().stream().allMatch(res -> "oxllm-test".equals(res.get("service.name"))),
        collector.spanResources()::toString);
    running.stop();
  }

  /**
   * A record a sink cannot encode (here without an outcome: the log line and the span both need
   * one) is lost to that sink alone: the records beside it, in the same drain when the offers are
   * quick enough, still become spans in an export the collector can parse, and log lines.
   */
  @Test
  void aRecordTheSinksCannotEncodeCostsOnlyItself(Vertx vertx, @TempDir Path dir) throws Exception {
    OtlpReceiver collector = await(OtlpReceiver.start(vertx));
    Path log = dir.resolve("requests.jsonl");
    TelemetryConfig c = TelemetryFixtures.config(collector.endpoint(), 1024, log.toString());
    TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c, TelemetryFixtures.fast(c));
    long now = Telemetry.epochNanos();
    RequestRecord before = TelemetryFixtures.ok("before-bad", now);
    RequestRecord g = TelemetryFixtures.ok("bad", now);
    RequestRecord bad = new RequestRecord(g.requestId(), 0, 0, g.path(), g.operation(), g.requestedModel(), g.provider(),
        g.upstreamModel(), g.responseModel(), g.status(), null, g.stream(), g.attempts(), g.startEpochNanos(),
        g.endEpochNanos(), g.ttftNanos(), g.inputTokens(), g.outputTokens(), g.finishReasons(), g.bytesOut(),
        g.traceIdHigh(), g.traceIdLow(), g.spanId(), g.parentSpanId(), g.sampled(), g.errorType());
    RequestRecord after = TelemetryFixtures.ok("after-bad", now);
    assertTrue(running.telemetry().offer(before));
    assertTrue(running.telemetry().offer(bad));
    assertTrue(running.telemetry().offer(after));

    List<Span> spans = until(SOON, collector::spans, s -> s.size() >= 4, "the good records' spans");
    Map<String, Span> byId = byId(spans);
    for (RequestRecord r : List.of(before, after)) {
      assertNotNull(byId.get(TelemetryFixtures.spanIdHex(r.spanId())), "request span of " + r.requestId());
      assertNotNull(byId.get(TelemetryFixtures.spanIdHex(r.attempts().get(0).spanId())), "attempt span of " + r.requestId());
    }
    assertFalse(byId.containsKey(TelemetryFixtures.spanIdHex(bad.spanId())), "no span, nor half of one, for the bad record");
    running.stop(); // writes the log's last chunk
    String lines = Files.readString(log);
    assertTrue(lines.contains("\"request_id\":\"before-bad\"") && lines.contains("\"request_id\":\"after-bad\""), lines);
    assertFalse(lines.contains("\"request_id\":\"bad\""), lines);
    assertEquals(2, lines.lines().count(), lines);
    assertEquals(3, running.telemetry().exported(), "all three were taken off the queue");
  }

  @Test
  void aFailedRequestIsAnErrorSpanWithErrorTypeAndNoClientParent(Vertx vertx) {
    OtlpReceiver collector = await(OtlpReceiver.start(vertx));
    TelemetryConfig c = TelemetryFixtures.config(collector.endpoint(), 1024, "");
    TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c, TelemetryFixtures.fast(c));
    RequestRecord r = TelemetryFixtures.failed("req-span-2", Telemetry.epochNanos());
    assertTrue(running.telemetry().offer(r));

    List<Span> spans = until(SOON, collector::spans, s -> s.size() >= 2, "request + attempt spans");
    Map<String, Span> byId = byId(spans);
    Span server = byId.get(TelemetryFixtures.spanIdHex(r.spanId()));
    assertTrue(server.getParentSpanId().isEmpty(), "a root span when the client sent no traceparent");
    assertEquals(Status.StatusCode.STATUS_CODE_ERROR, server.getStatus().getCode());
    Map<String, String> attrs = OtlpReceiver.attributes(server.getAttributesList());
    assertEquals("upstream_timeout", attrs.get("error.type"));
    assertEquals("504", attrs.get("http.response.status_code"));
    assertFalse(attrs.containsKey("gen_ai.usage.input_tokens"), "unknown tokens are left out, not -1");
    Span attempt = byId.get(TelemetryFixtures.spanIdHex(r.attempts().get(0).spanId()));
    Map<String, String> aa = OtlpReceiver.attributes(attempt.getAttributesList());
    assertEquals("first_byte_timeout", aa.get("error.type"), "a fixed name, not the attempt's text");
    assertFalse(aa.containsKey("http.response.status_code"), "no status came back");
    running.stop();
  }

  @Test
  void traceContextContinuesFromClientThroughGatewayToUpstream() {
    String clientHeader = "00-" + TelemetryFixtures.traceIdHex(TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow())
        + "-" + TelemetryFixtures.spanIdHex(TraceIds.newSpanId()) + "-01";
    TraceIds.Parent client = TraceIds.parse(clientHeader);
    RequestRecord r = TelemetryFixtures.failover("req-span-3", Telemetry.epochNanos(), client.traceIdHigh(),
        client.traceIdLow(), client.spanId());
    List<io.opentelemetry.sdk.trace.data.SpanData> spans = new Spans(io.opentelemetry.sdk.resources.Resource.empty(),
        io.opentelemetry.sdk.common.InstrumentationScopeInfo.create("t")).of(r);
    for (int i = 0; i < r.attempts().size(); i++) {
      AttemptRecord a = r.attempts().get(i);
      // what the upstream receives for this attempt, and what it would read back from it
      TraceIds.Parent upstreamSaw = TraceIds.parse(TraceIds.traceparent(r.traceIdHigh(), r.traceIdLow(), a.spanId(),
          true));
      assertEquals(clientHeader.substring(3, 35),
          TelemetryFixtures.traceIdHex(upstreamSaw.traceIdHigh(), upstreamSaw.traceIdLow()),
          "one trace from client to upstream");
      assertEquals(spans.get(i + 1).getSpanId(), TelemetryFixtures.spanIdHex(upstreamSaw.spanId()),
          "the upstream's parent is the attempt span");
      assertTrue(upstreamSaw.sampled());
    }
    assertEquals(clientHeader.substring(36, 52), spans.get(0).getParentSpanId());
  }
}
