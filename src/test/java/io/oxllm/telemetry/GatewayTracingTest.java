package io.oxllm.telemetry;

import static io.oxllm.telemetry.E2eGateway.SMART;
import static io.oxllm.telemetry.E2eGateway.SOLO;
import static io.oxllm.telemetry.E2eGateway.attrs;
import static io.oxllm.telemetry.E2eGateway.hex;
import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.oxllm.testing.Behaviour;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.OtlpReceiver;
import io.oxllm.testing.StreamRecorder;
import io.oxllm.testing.TestUpstream.Received;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC section 7 through a real gateway: trace context client → gateway → upstream, the request
 * and attempt spans the OTLP receiver gets (ids, parents, real times, GenAI attributes), and
 * token accounting for streams with and without the client's {@code include_usage}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GatewayTracingTest {
  private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-01");
  private static final long MS = 1_000_000L;

  @TempDir
  Path dir;
  private E2eGateway e;

  @AfterEach
  void stop() {
    if (e != null) {
      e.close();
    }
  }

  private static Matcher traceparent(Received r) {
    String header = r.header("traceparent");
    assertNotNull(header, "the upstream got no traceparent");
    Matcher m = TRACEPARENT.matcher(header);
    assertTrue(m.matches(), "a valid W3C traceparent upstream: " + header);
    return m;
  }

  @Test
  void theClientsTraceContinuesThroughTheGatewayToTheUpstream(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.delayHeaders(200, Behaviour.chat("one two three")));
    String clientTrace = TelemetryFixtures.traceIdHex(TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow());
    String clientSpan = TelemetryFixtures.spanIdHex(TraceIds.newSpanId());
    long before = System.currentTimeMillis();
    Response r = e.chat(SMART, Map.of("traceparent", "00-" + clientTrace + "-" + clientSpan + "-01"));
    long after = System.currentTimeMillis();
    assertEquals(200, r.status(), r::bodyAsString);

    Matcher up = traceparent(e.a.lastReceived());
    assertEquals(clientTrace, up.group(1), "the upstream is in the client's trace");
    String upstreamParent = up.group(2);
    assertNotEquals(clientSpan, upstreamParent, "the client's traceparent is not forwarded as is");

    Span server = e.requestSpan(r.header("x-request-id"));
    assertEquals(Span.SpanKind.SPAN_KIND_SERVER, server.getKind());
    assertEquals(clientTrace, hex(server.getTraceId()));
    assertEquals(clientSpan, hex(server.getParentSpanId()), "the request span is a child of the client's span");
    assertEquals("chat " + SMART, server.getName());
    List<Span> attempts = e.attemptSpans(server, 1);
    assertEquals(1, attempts.size());
    Span attempt = attempts.get(0);
    assertEquals(upstreamParent, hex(attempt.getSpanId()), "the upstream's parent is the attempt span");
    assertEquals(clientTrace, hex(attempt.getTraceId()));

    long requestNs = server.getEndTimeUnixNano() - server.getStartTimeUnixNano();
    assertTrue(requestNs >= 200 * MS, "request span lasted " + requestNs / MS + " ms; the upstream took 200");
    assertTrue(requestNs < 5_000 * MS, "request span lasted " + requestNs / MS + " ms");
    assertTrue(server.getStartTimeUnixNano() >= (before - 1_000) * MS && server.getEndTimeUnixNano() <= (after + 1_000) * MS,
        "the request span's times are wall-clock times of this request");
    assertTrue(attempt.getStartTimeUnixNano() >= server.getStartTimeUnixNano()
        && attempt.getEndTimeUnixNano() <= server.getEndTimeUnixNano(), "the attempt lies inside the request");
    assertTrue(attempt.getEndTimeUnixNano() - attempt.getStartTimeUnixNano() >= 200 * MS, "the attempt waited 200 ms");
  }

  @Test
  void theClientsTracestateLinesGoUpstreamJoinedAndOnEverySpan(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    String clientTrace = TelemetryFixtures.traceIdHex(TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow());
    String clientSpan = TelemetryFixtures.spanIdHex(TraceIds.newSpanId());
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json")
        .add("traceparent", "00-" + clientTrace + "-" + clientSpan + "-01")
        .add("tracestate", "congo=t61rcWkgMzE").add("tracestate", "").add("tracestate", "rojo=00f067aa0ba902b7");
    Response r = await(GatewayHarness.send(e.client, e.port(), HttpMethod.POST, E2eGateway.CHAT, h,
        Buffer.buffer(E2eGateway.chatBody(SOLO, "hello", false, null))));
    assertEquals(200, r.status(), r::bodyAsString);

    // W3C Trace Context: several tracestate lines are one list; a line left out loses its members,
    // and an empty line is no member (no ",," sent)
    String joined = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
    assertEquals(List.of(joined), e.a.lastReceived().headers().get("tracestate"));
    Span server = e.requestSpan(r.header("x-request-id"));
    assertEquals(joined, server.getTraceState(), "the request span continues the client's trace state");
    assertEquals(joined, e.attemptSpans(server, 1).get(0).getTraceState(), "and so does its attempt");

    Response alone = await(GatewayHarness.send(e.client, e.port(), HttpMethod.POST, E2eGateway.CHAT,
        MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json").add("tracestate", "congo=x"),
        Buffer.buffer(E2eGateway.chatBody(SOLO, "hello", false, null))));
    Span fresh = e.requestSpan(alone.header("x-request-id"));
    assertEquals("", fresh.getTraceState(), "a tracestate without a traceparent is discarded");
    assertEquals("", e.attemptSpans(fresh, 1).get(0).getTraceState());
  }

  @Test
  void aTracestateOver512CharactersIsCutAsW3cSaysBeforeItGoesUpstreamOrOnASpan(Vertx vertx) {
    // a client's 7 KB tracestate, on every span, filled the span buffer's direct memory until the
    // telemetry worker stopped for good (a telemetry audit)
    e = E2eGateway.start(vertx, dir, "");
    String clientTrace = TelemetryFixtures.traceIdHex(TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow());
    StringBuilder members = new StringBuilder("big=" + "x".repeat(200)); // over 128: goes first
    for (int i = 0; members.length() < 7000; i++) {
      members.append(",v").append(i).append("=").append("y".repeat(40));
    }
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json")
        .add("traceparent", "00-" + clientTrace + "-" + TelemetryFixtures.spanIdHex(TraceIds.newSpanId()) + "-01")
        .add("tracestate", members.toString());
    Response r = await(GatewayHarness.send(e.client, e.port(), HttpMethod.POST, E2eGateway.CHAT, h,
        Buffer.buffer(E2eGateway.chatBody(SOLO, "hello", false, null))));
    assertEquals(200, r.status(), r::bodyAsString);
    List<String> lines = e.a.lastReceived().headers().get("tracestate");
    assertEquals(1, lines.size(), lines::toString);
    String sent = lines.get(0);
    assertTrue(sent.startsWith("v0=" + "y".repeat(40) + ",v1="), sent);
    assertTrue(sent.length() <= 512 && sent.length() > 512 - 45, "whole members up to 512 characters: " + sent.length());
    Span server = e.requestSpan(r.header("x-request-id"));
    assertEquals(sent, server.getTraceState());
    assertEquals(sent, e.attemptSpans(server, 1).get(0).getTraceState());
  }

  @Test
  void spansACollectorRejectsInAPartialSuccessAreCountedAsDropped(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    e.receiver.mode(OtlpReceiver.Mode.PARTIAL); // "1 span rejected" to every export
    assertEquals(200, e.chat(SOLO, Map.of()).status());
    until(E2eGateway.SOON, () -> e.status().getJsonObject("telemetry"),
        (JsonObject t) -> t.getLong("spans_dropped") == 1, "the rejected span counted, once");
  }

  @Test
  void twoTraceparentLinesStartAFreshTrace(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    String first = TelemetryFixtures.traceIdHex(TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow());
    String second = TelemetryFixtures.traceIdHex(TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow());
    String span = TelemetryFixtures.spanIdHex(TraceIds.newSpanId());
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json")
        .add("traceparent", "00-" + first + "-" + span + "-01").add("traceparent", "00-" + second + "-" + span + "-01")
        .add("tracestate", "congo=t61rcWkgMzE");
    Response r = await(GatewayHarness.send(e.client, e.port(), HttpMethod.POST, E2eGateway.CHAT, h,
        Buffer.buffer(E2eGateway.chatBody(SOLO, "hello", false, null))));
    assertEquals(200, r.status(), r::bodyAsString);
    Matcher up = traceparent(e.a.lastReceived());
    assertNotEquals(first, up.group(1));
    assertNotEquals(second, up.group(1));
    assertNull(e.a.lastReceived().header("tracestate"), "no tracestate without a traceparent that holds");
    Span server = e.requestSpan(r.header("x-request-id"));
    assertTrue(server.getParentSpanId().isEmpty(), "a root span");
  }

  @Test
  void aTraceTheClientDidNotSampleHasNoSpansAndTheUpstreamIsToldSo(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    String clientTrace = TelemetryFixtures.traceIdHex(TraceIds.newTraceIdHigh(), TraceIds.newTraceIdLow());
    String clientSpan = TelemetryFixtures.spanIdHex(TraceIds.newSpanId());
    Response r = e.chat(SOLO, Map.of("traceparent", "00-" + clientTrace + "-" + clientSpan + "-00"));
    assertEquals(200, r.status(), r::bodyAsString);

    String header = e.a.lastReceived().header("traceparent");
    Matcher up = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-00").matcher(String.valueOf(header));
    assertTrue(up.matches(), "the upstream is in the client's trace and told it is not sampled: " + header);
    assertEquals(clientTrace, up.group(1));
    assertNotEquals(clientSpan, up.group(2), "the upstream's parent is the gateway's attempt, as when sampled");

    // a sampled request after it: its spans arriving shows the worker has been past the first record
    Response next = e.chat(SOLO, Map.of());
    e.requestSpan(next.header("x-request-id"));
    assertTrue(e.receiver.spans().stream().noneMatch(s -> clientTrace.equals(hex(s.getTraceId()))),
        "no span of the unsampled trace reached the collector");
    JsonObject line = e.logLine(r.header("x-request-id"));
    assertEquals(200, line.getInteger("status"), "the request log still has the request: " + line.encode());
  }

  @Test
  void withoutAClientTraceparentTheRequestStartsAFreshTrace(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    Response r = e.chat(SOLO, Map.of());
    assertEquals(200, r.status(), r::bodyAsString);
    Matcher up = traceparent(e.a.lastReceived());

    Span server = e.requestSpan(r.header("x-request-id"));
    assertTrue(server.getParentSpanId().isEmpty(), "a root span: " + hex(server.getParentSpanId()));
    assertEquals(up.group(1), hex(server.getTraceId()), "the upstream is in the gateway's new trace");
    assertFalse(hex(server.getTraceId()).matches("0+"));
    Span attempt = e.attemptSpans(server, 1).get(0);
    assertEquals(up.group(2), hex(attempt.getSpanId()), "the upstream's traceparent names the attempt span");
  }

  @Test
  void aNonStreamAnswerGivesTheGenAiAttributes(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.chat("one two three four five")); // usage: 3 prompt, 5 completion tokens
    Response r = e.chat(SOLO, Map.of());
    assertEquals(200, r.status(), r::bodyAsString);

    Span server = e.requestSpan(r.header("x-request-id"));
    Map<String, String> at = attrs(server);
    assertEquals("chat", at.get("gen_ai.operation.name"), at::toString);
    assertEquals("a", at.get("gen_ai.provider.name"), at::toString);
    assertEquals(SOLO, at.get("gen_ai.request.model"), at::toString);
    assertEquals("test-model", at.get("gen_ai.response.model"), at::toString);
    assertEquals("3", at.get("gen_ai.usage.input_tokens"), at::toString);
    assertEquals("5", at.get("gen_ai.usage.output_tokens"), at::toString);
    assertEquals("1", at.get("oxllm.attempts"), at::toString);
    assertEquals(r.header("x-request-id"), at.get("oxllm.request_id"));
    assertFalse(at.containsKey("error.type"), at::toString);
    Map<String, String> aa = attrs(e.attemptSpans(server, 1).get(0));
    assertEquals("a", aa.get("gen_ai.provider.name"), aa::toString);
    assertEquals("chat", aa.get("gen_ai.operation.name"), aa::toString);
  }

  @Test
  void aNonStreamAnswerRecordsItsFinishReason(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.chat("done")); // "finish_reason": "stop"
    Response r = e.chat(SOLO, Map.of());
    assertEquals(200, r.status(), r::bodyAsString);
    Map<String, String> at = attrs(e.requestSpan(r.header("x-request-id")));
    assertEquals("stop", at.get("gen_ai.response.finish_reasons"), () -> "SPEC 7 span attributes: " + at);
  }

  @Test
  void aFailoverGivesTwoAttemptSpansTheFirstAnError(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.error(503, "server_error", "overloaded"));
    e.b.respond(Behaviour.chat("fine"));
    Response r = e.chat(SMART, Map.of());
    assertEquals(200, r.status(), r::bodyAsString);
    assertEquals("b", r.header("x-oxllm-provider"));

    Span server = e.requestSpan(r.header("x-request-id"));
    Map<String, String> at = attrs(server);
    assertEquals("2", at.get("oxllm.attempts"), at::toString);
    assertEquals("b", at.get("gen_ai.provider.name"), at::toString);
    List<Span> attempts = e.attemptSpans(server, 2);
    assertEquals(2, attempts.size(), attempts::toString);
    Map<String, String> first = attrs(attempts.get(0));
    assertEquals("a", first.get("gen_ai.provider.name"), first::toString);
    assertEquals("503", first.get("error.type"), first::toString);
    assertEquals("503", first.get("http.response.status_code"), first::toString);
    assertEquals(Status.StatusCode.STATUS_CODE_ERROR, attempts.get(0).getStatus().getCode());
    Map<String, String> second = attrs(attempts.get(1));
    assertEquals("b", second.get("gen_ai.provider.name"), second::toString);
    assertFalse(second.containsKey("error.type"), second::toString);
    assertTrue(attempts.get(0).getEndTimeUnixNano() <= attempts.get(1).getStartTimeUnixNano(), "attempts in order");
    // each upstream saw its own attempt span as parent
    assertEquals(hex(attempts.get(0).getSpanId()), traceparent(e.a.lastReceived()).group(2));
    assertEquals(hex(attempts.get(1).getSpanId()), traceparent(e.b.lastReceived()).group(2));
  }

  @Test
  void theRequestSpanIsAnErrorForA5xxNotForTheClientsOwnError(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.error(400, "invalid_request_error", "temperature out of range"));
    Response clients = e.chat(SOLO, Map.of());
    assertEquals(400, clients.status(), clients::bodyAsString);
    e.a.respond(Behaviour.error(503, "server_error", "overloaded"));
    e.b.respond(Behaviour.error(503, "server_error", "overloaded"));
    Response failed = e.chat(SMART, Map.of());
    assertEquals(502, failed.status(), failed::bodyAsString);

    // the HTTP conventions: a server span's 4xx is the client's, unset; a client span's is an error
    Span clientError = e.requestSpan(clients.header("x-request-id"));
    assertEquals("400", attrs(clientError).get("error.type"));
    assertEquals(Status.StatusCode.STATUS_CODE_UNSET, clientError.getStatus().getCode());
    assertEquals(Status.StatusCode.STATUS_CODE_ERROR, e.attemptSpans(clientError, 1).get(0).getStatus().getCode());
    Span serverError = e.requestSpan(failed.header("x-request-id"));
    assertEquals("all_providers_failed", attrs(serverError).get("error.type"));
    assertEquals(Status.StatusCode.STATUS_CODE_ERROR, serverError.getStatus().getCode());
  }

  /** True when an event is the usage-only chunk ({@code "choices": []} with a usage). */
  private static boolean usageOnly(String event) {
    if (!event.startsWith("{")) {
      return false;
    }
    JsonObject j = new JsonObject(event);
    JsonArray choices = j.getJsonArray("choices");
    return choices != null && choices.isEmpty() && j.getValue("usage") != null;
  }

  @Test
  void aStreamWhoseClientDidNotAskForUsageStillRecordsItsTokens(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.sseChatWithUsage(4, 5)); // usage: 3 prompt, 4 completion
    StreamRecorder rec = e.stream(E2eGateway.chatBody(SOLO, "hi", true, null), null);
    assertEquals(200, rec.status(), rec::rawString);
    assertTrue(rec.sawDone(), rec::rawString);

    JsonObject options = e.a.lastReceived().bodyAsJson().getJsonObject("stream_options");
    assertEquals(Boolean.TRUE, options == null ? null : options.getValue("include_usage"),
        "the gateway asked the upstream for usage");
    assertTrue(rec.events().stream().noneMatch(GatewayTracingTest::usageOnly),
        () -> "the client did not ask for the usage chunk: " + rec.events());

    String id = rec.header("x-request-id");
    Map<String, String> at = attrs(e.requestSpan(id));
    assertEquals("3", at.get("gen_ai.usage.input_tokens"), at::toString);
    assertEquals("4", at.get("gen_ai.usage.output_tokens"), at::toString);
    assertEquals("stop", at.get("gen_ai.response.finish_reasons"), at::toString);
    assertEquals("test-model", at.get("gen_ai.response.model"), at::toString);
    JsonObject line = e.logLine(id);
    assertEquals(3L, line.getLong("input_tokens"), line::encode);
    assertEquals(4L, line.getLong("output_tokens"), line::encode);
  }

  @Test
  void aStreamWhoseClientAskedForUsageGetsTheChunkAndRecordsTheTokens(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.sseChatWithUsage(2, 5));
    String json = E2eGateway.chatBody(SOLO, "hi", true, new JsonObject().put("include_usage", true));
    StreamRecorder rec = e.stream(json, null);
    assertEquals(200, rec.status(), rec::rawString);
    String expected = E2eGateway.chatBody(ChainToml.MODEL, "hi", true, new JsonObject().put("include_usage", true));
    assertEquals(expected, e.a.lastReceived().bodyAsString(), "nothing to inject: only the model name is replaced");
    assertEquals(1, rec.events().stream().filter(GatewayTracingTest::usageOnly).count(),
        () -> "the client asked for the usage chunk: " + rec.events());

    String id = rec.header("x-request-id");
    Map<String, String> at = attrs(e.requestSpan(id));
    assertEquals("3", at.get("gen_ai.usage.input_tokens"), at::toString);
    assertEquals("2", at.get("gen_ai.usage.output_tokens"), at::toString);
    JsonObject line = e.logLine(id);
    assertEquals(3L, line.getLong("input_tokens"), line::encode);
    assertEquals(2L, line.getLong("output_tokens"), line::encode);
    JsonObject a = e.providerStatus("a");
    assertEquals(3L, a.getLong("input_tokens"), a::encode);
    assertEquals(2L, a.getLong("output_tokens"), a::encode);
  }
}
