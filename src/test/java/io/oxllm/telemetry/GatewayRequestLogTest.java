package io.oxllm.telemetry;

import static io.oxllm.telemetry.E2eGateway.CHAT;
import static io.oxllm.telemetry.E2eGateway.KEY;
import static io.oxllm.telemetry.E2eGateway.SMART;
import static io.oxllm.telemetry.E2eGateway.SOLO;
import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.trace.v1.Span;
import io.oxllm.testing.Behaviour;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.StreamRecorder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JSONL request log (SPEC section 7) written by a real gateway: one parseable line per request
 * with exactly the documented fields, the outcomes (ok, rejected, upstream_error, client_closed),
 * ttft for streams, and never a key or a body.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GatewayRequestLogTest {
  private static final Set<String> FIELDS = Set.of("ts", "request_id", "path", "model", "provider", "upstream_model",
      "status", "outcome", "stream", "attempts", "ttft_ms", "duration_ms", "input_tokens", "output_tokens", "bytes_out");
  private static final Set<String> ATTEMPT_FIELDS = Set.of("provider", "status", "error", "ms");
  private static final String SECRET_TEXT = "purple-elephant-4417-body-text";

  @TempDir
  Path dir;
  private E2eGateway e;

  @AfterEach
  void stop() {
    if (e != null) {
      e.close();
    }
  }

  private static void assertShape(JsonObject line) {
    assertEquals(FIELDS, line.fieldNames(), line::encode);
    assertNotNull(Instant.parse(line.getString("ts")), line::encode);
    assertTrue(line.getValue("stream") instanceof Boolean, line::encode);
    assertTrue(line.getValue("duration_ms") instanceof Number, line::encode);
    assertTrue(line.getValue("bytes_out") instanceof Number, line::encode);
    for (Object o : line.getJsonArray("attempts")) {
      JsonObject a = (JsonObject) o;
      assertEquals(ATTEMPT_FIELDS, a.fieldNames(), line::encode);
      assertTrue(a.getValue("ms") instanceof Number, line::encode);
    }
  }

  @Test
  void everyLineParsesWithExactlyTheDocumentedFieldsAndNoKeyOrBody(Vertx vertx) throws IOException {
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.chat("alpha beta"));
    Response ok = e.post(CHAT, E2eGateway.chatBody(SOLO, SECRET_TEXT, false, null), Map.of());
    assertEquals(200, ok.status(), ok::bodyAsString);
    e.a.respond(Behaviour.sseChatWithUsage(3, 5));
    StreamRecorder stream = e.stream(E2eGateway.chatBody(SOLO, SECRET_TEXT, true, null), null);
    assertEquals(200, stream.status());
    Response unknown = e.post(CHAT, E2eGateway.chatBody("no-such-model", SECRET_TEXT, false, null), Map.of());
    assertEquals(404, unknown.status(), unknown::bodyAsString);
    Response badJson = e.post(CHAT, "{\"model\": \"" + SOLO + "\", \"messages\": [" + SECRET_TEXT, Map.of());
    assertEquals(400, badJson.status(), badJson::bodyAsString);
    assertTrue(e.a.received().stream().allMatch(r -> ("Bearer " + KEY).equals(r.header("authorization"))),
        "the key did reach the upstream, so it was there to leak");

    JsonObject okLine = e.logLine(ok.header("x-request-id"));
    JsonObject streamLine = e.logLine(stream.header("x-request-id"));
    JsonObject unknownLine = e.logLine(unknown.header("x-request-id"));
    JsonObject badLine = e.logLine(badJson.header("x-request-id"));
    List<String> lines = e.logLines();
    assertEquals(4, lines.size(), () -> String.join("\n", lines));
    for (String l : lines) {
      assertShape(new JsonObject(l)); // throws if a line is not JSON
    }

    assertEquals("ok", okLine.getString("outcome"), okLine::encode);
    assertEquals(CHAT, okLine.getString("path"));
    assertEquals(SOLO, okLine.getString("model"));
    assertEquals("a", okLine.getString("provider"));
    assertEquals("m", okLine.getString("upstream_model"));
    assertEquals(200, okLine.getInteger("status"));
    assertFalse(okLine.getBoolean("stream"));
    assertNull(okLine.getValue("ttft_ms"), "no time to first token for a non-stream");
    assertEquals(3L, okLine.getLong("input_tokens"), okLine::encode);
    assertEquals(2L, okLine.getLong("output_tokens"), okLine::encode);
    assertEquals(ok.body().length(), okLine.getLong("bytes_out"), okLine::encode);
    JsonArray attempts = okLine.getJsonArray("attempts");
    assertEquals(1, attempts.size(), okLine::encode);
    assertEquals("a", attempts.getJsonObject(0).getString("provider"));
    assertEquals(200, attempts.getJsonObject(0).getInteger("status"));
    assertNull(attempts.getJsonObject(0).getValue("error"));

    assertEquals("ok", streamLine.getString("outcome"), streamLine::encode);
    assertTrue(streamLine.getBoolean("stream"));
    Number ttft = (Number) streamLine.getValue("ttft_ms");
    assertNotNull(ttft, () -> "a stream has ttft_ms: " + streamLine.encode());
    assertTrue(ttft.doubleValue() >= 0 && ttft.doubleValue() <= streamLine.getDouble("duration_ms"), streamLine::encode);
    assertEquals(stream.raw().length(), streamLine.getLong("bytes_out"), streamLine::encode);

    assertEquals("rejected", unknownLine.getString("outcome"), unknownLine::encode);
    assertEquals(404, unknownLine.getInteger("status"));
    assertEquals(0, unknownLine.getJsonArray("attempts").size());
    assertEquals("rejected", badLine.getString("outcome"), badLine::encode);
    assertEquals(400, badLine.getInteger("status"));
    // the error bodies the gateway wrote itself are counted too
    assertEquals(badJson.body().length(), badLine.getLong("bytes_out"), badLine::encode);
    assertEquals(unknown.body().length(), unknownLine.getLong("bytes_out"), unknownLine::encode);

    String file = Files.readString(e.log);
    assertFalse(file.contains(KEY), "the provider key must never be logged");
    assertFalse(file.contains(SECRET_TEXT), "request bodies must never be logged");
    assertFalse(file.contains("alpha beta") || file.contains("tok0"), "response bodies must never be logged");
    // the spans carry no key or body either
    String spans = e.receiver.spans().toString();
    assertFalse(spans.contains(KEY) || spans.contains(SECRET_TEXT), "spans must not carry keys or bodies");
  }

  @Test
  void theModelListTheGatewayAnswersItselfIsLoggedAndTraced(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    for (String path : List.of("/v1/models", "/v1/models/" + E2eGateway.SOLO)) {
      Response r = e.get(path);
      assertEquals(200, r.status(), r::bodyAsString);
      JsonObject line = e.logLine(r.header("x-request-id"));
      assertShape(line);
      assertEquals("ok", line.getString("outcome"), line::encode);
      assertEquals(200, line.getInteger("status"), line::encode);
      assertEquals(path, line.getString("path"), line::encode);
      assertNull(line.getValue("provider"), line::encode);
      assertEquals(r.body().length(), line.getLong("bytes_out"), line::encode);
      e.requestSpan(r.header("x-request-id"));
    }
    Response head = e.send(HttpMethod.HEAD, "/v1/models");
    assertEquals(0, e.logLine(head.header("x-request-id")).getLong("bytes_out"), "a HEAD answer sends no body");
  }

  @Test
  void aWrongMethodOnAnApiPathAsksForNoOperation(Vertx vertx) {
    // DELETE /v1/chat/completions was a "chat" span and record, which only GenAiMetrics then left out
    e = E2eGateway.start(vertx, dir, "");
    Response r = e.send(HttpMethod.DELETE, CHAT);
    assertEquals(405, r.status(), r::bodyAsString);
    JsonObject line = e.logLine(r.header("x-request-id"));
    assertShape(line);
    assertEquals("rejected", line.getString("outcome"), line::encode);
    Span span = e.requestSpan(r.header("x-request-id"));
    assertEquals("other", E2eGateway.attrs(span).get("gen_ai.operation.name"), span::toString);
    assertFalse(span.getName().startsWith("chat"), span::toString);
  }

  @Test
  void aRequestRefusedBeforeRoutingIsLoggedUnderTheClientsId(Vertx vertx) throws IOException {
    // no Host: refused before the router, which logs every other refusal
    e = E2eGateway.start(vertx, dir, "");
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", e.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(("POST " + CHAT + " HTTP/1.1\r\nx-request-id: raw-1\r\nContent-Type: application/json\r\n"
          + "Content-Length: 2\r\n\r\n{}").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
      assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
    }
    JsonObject line = e.logLine("raw-1");
    assertShape(line);
    assertEquals("rejected", line.getString("outcome"), line::encode);
    assertEquals(400, line.getInteger("status"), line::encode);
    assertEquals(CHAT, line.getString("path"), line::encode);
  }

  @Test
  void aRequestWhoseProvidersAllFailIsAnUpstreamErrorListingTheAttempts(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.error(503, "server_error", "down"));
    e.b.respond(Behaviour.error(500, "server_error", "broken"));
    Response r = e.chat(SMART, Map.of());
    assertEquals(502, r.status(), r::bodyAsString);

    JsonObject line = e.logLine(r.header("x-request-id"));
    assertShape(line);
    assertEquals("upstream_error", line.getString("outcome"), line::encode);
    assertEquals(502, line.getInteger("status"), line::encode);
    assertEquals(r.body().length(), line.getLong("bytes_out"), line::encode);
    assertEquals(SMART, line.getString("model"));
    JsonArray attempts = line.getJsonArray("attempts");
    assertEquals(2, attempts.size(), line::encode);
    assertEquals("a", attempts.getJsonObject(0).getString("provider"));
    assertEquals(503, attempts.getJsonObject(0).getInteger("status"));
    assertEquals("b", attempts.getJsonObject(1).getString("provider"));
    assertEquals(500, attempts.getJsonObject(1).getInteger("status"));
    Map<String, String> span = E2eGateway.attrs(e.requestSpan(r.header("x-request-id")));
    assertNotNull(span.get("error.type"), span::toString);
    assertEquals("2", span.get("oxllm.attempts"), span::toString);
  }

  @Test
  void anUpstream4xxReturnedAsItCameIsNoSuccess(Vertx vertx) {
    // the client's error, not the provider's: no failover, no failure counted, but not "ok" either
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.error(400, "invalid_request_error", "max_tokens is too large"));
    Response r = e.chat(SMART, Map.of());
    assertEquals(400, r.status(), r::bodyAsString);
    assertEquals(0, e.b.requestCount());
    JsonObject line = e.logLine(r.header("x-request-id"));
    assertShape(line);
    assertEquals("upstream_error", line.getString("outcome"), line::encode);
    assertEquals(400, line.getInteger("status"), line::encode);
    assertEquals("a", line.getString("provider"), line::encode);
    Map<String, String> span = E2eGateway.attrs(e.requestSpan(r.header("x-request-id")));
    assertEquals("400", span.get("error.type"), span::toString);
  }

  @Test
  void anEchoStreamIsCountedWhetherOrNotTheClientAskedForUsage(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "[[providers]]\nname = \"echo\"\ntype = \"echo\"\n");
    StreamRecorder plain = e.stream(E2eGateway.chatBody("echo", "one two three", true, null), null);
    StreamRecorder asked = e.stream(E2eGateway.chatBody("echo", "one two three", true,
        new JsonObject().put("include_usage", true)), null);
    assertEquals(200, plain.status());
    assertEquals(200, asked.status());
    JsonObject plainLine = e.logLine(plain.header("x-request-id"));
    JsonObject askedLine = e.logLine(asked.header("x-request-id"));
    assertTrue(askedLine.getLong("input_tokens") > 0 && askedLine.getLong("output_tokens") > 0, askedLine::encode);
    assertEquals(askedLine.getLong("input_tokens"), plainLine.getLong("input_tokens"), plainLine::encode);
    assertEquals(askedLine.getLong("output_tokens"), plainLine.getLong("output_tokens"), plainLine::encode);
    // the usage-only chunk the gateway asked for is counted, not written
    assertFalse(plain.rawString().contains("\"choices\":[]"), plain::rawString);
    assertTrue(asked.rawString().contains("\"choices\":[]"), asked::rawString);
    assertEquals("[DONE]", plain.lastEvent(), plain::rawString);
    assertEquals(plain.raw().length(), plainLine.getLong("bytes_out"), plainLine::encode);
  }

  @Test
  void aWholeCompletionToAStreamRequestHasItsFirstTokenWhenItGoesOutAsThatStream(Vertx vertx) {
    // an upstream that ignored stream: true; its completion goes out as one chunk (BodyAsStream),
    // and that chunk is the client's first token: the log said none, as for a non-stream
    String said = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
        + "{\"role\":\"assistant\",\"content\":%s},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
    e = E2eGateway.start(vertx, dir, "");
    e.a.enqueue(Behaviour.json(200, String.format(said, "\"hi\"")), Behaviour.json(200, String.format(said, "\"\"")));
    StreamRecorder hi = e.stream(E2eGateway.chatBody(SOLO, "hi", true, null), null);
    StreamRecorder empty = e.stream(E2eGateway.chatBody(SOLO, "hi", true, null), null);
    assertEquals("hi", hi.text(), hi::rawString);
    JsonObject line = e.logLine(hi.header("x-request-id"));
    assertShape(line);
    assertEquals("ok", line.getString("outcome"), line::encode);
    Number ttft = (Number) line.getValue("ttft_ms");
    assertNotNull(ttft, line::encode);
    assertTrue(ttft.doubleValue() >= 0 && ttft.doubleValue() <= line.getDouble("duration_ms"), line::encode);
    assertEquals(3L, line.getLong("input_tokens"), line::encode);
    assertEquals(1L, line.getLong("output_tokens"), line::encode);
    assertEquals(hi.raw().length(), line.getLong("bytes_out"), line::encode);
    JsonObject none = e.logLine(empty.header("x-request-id"));
    assertNull(none.getValue("ttft_ms"), () -> "an empty answer has no first token: " + none.encode());
  }

  @Test
  void aClientLeavingBeforeAnyAnswerIsLogged499WithTheAttemptEndedByIt(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.hang());
    String id = "left-before-any-answer";
    String json = E2eGateway.chatBody(SOLO, "hi", false, null);
    HttpClientRequest req = await(e.onContext(() -> e.client.request(HttpMethod.POST, e.port(), "127.0.0.1", CHAT)
        .compose(r -> {
          r.putHeader("content-type", "application/json").putHeader("x-request-id", id).end(json);
          return Future.succeededFuture(r);
        })));
    until(E2eGateway.SOON, () -> e.a.received().size(), n -> n == 1, "the upstream got the request");
    await(e.onContext(() -> {
      req.reset();
      return Future.succeededFuture();
    }));
    await(e.a.awaitClientCloses(1)); // the gateway gave up the attempt

    JsonObject line = e.logLine(id);
    assertShape(line);
    assertEquals("client_closed", line.getString("outcome"), line::encode);
    assertEquals(499, line.getInteger("status"), () -> "no answer was sent: " + line.encode());
    assertEquals(0L, line.getLong("bytes_out"), line::encode);
    JsonObject attempt = line.getJsonArray("attempts").getJsonObject(0);
    assertNull(attempt.getValue("status"), line::encode);
    assertEquals("client closed", attempt.getString("error"), line::encode);
    // typed, so that a rate of abandoned requests can be read; not an error of the server's span
    io.opentelemetry.proto.trace.v1.Span span = e.requestSpan(id);
    assertEquals("client_closed", E2eGateway.attrs(span).get("error.type"));
    assertEquals(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_UNSET, span.getStatus().getCode());
    // the HTTP conventions: a response's status only "if and only if one was sent"; 499 is the
    // log's word for none (a telemetry audit saw it on the span)
    assertNull(E2eGateway.attrs(span).get("http.response.status_code"), span::toString);
    until(E2eGateway.SOON, () -> e.get("/metrics").bodyAsString(), m -> m.lines().anyMatch(
        l -> l.startsWith("gen_ai_client_operation_duration_seconds_count{") && l.contains("error_type=\"client_closed\"")),
        "the operation's duration typed client_closed in /metrics");
  }

  @Test
  void aClientLeavingBeforeItsRequestIsWholeIsLoggedOnce499(Vertx vertx) throws IOException {
    // SPEC section 7: one line per request. Mid-body there was none; mid-head a 400 "rejected"
    // line for an answer no one could read
    e = E2eGateway.start(vertx, dir, "");
    String head = "POST " + CHAT + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    Map<String, String> sent = Map.of(
        "left-mid-body", head + "x-request-id: left-mid-body\r\nContent-Length: 10000\r\n\r\n{\"model\":",
        "reset-mid-body", head + "x-request-id: reset-mid-body\r\nContent-Length: 10000\r\n\r\n{\"model\":",
        "left-mid-head", head + "x-request-id: left-mid-head\r\nAccept: */*\r\nContent-Le");
    for (Map.Entry<String, String> request : sent.entrySet()) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", e.port())) {
        s.getOutputStream().write(request.getValue().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        if (request.getKey().startsWith("reset")) {
          s.setSoLinger(true, 0);
        }
      }
    }
    for (String id : sent.keySet()) {
      JsonObject line = e.logLine(id);
      assertShape(line);
      assertEquals("client_closed", line.getString("outcome"), line::encode);
      assertEquals(499, line.getInteger("status"), line::encode);
      assertEquals(CHAT, line.getString("path"), line::encode);
    }
    e.chat(SOLO, Map.of("x-request-id", "after")); // its line comes after any the three left
    e.logLine("after");
    for (String id : sent.keySet()) {
      assertEquals(1, e.logLines().stream().filter(l -> l.contains("\"" + id + "\"")).count(), id);
    }
  }

  @Test
  void linesAnUnwritableLogLosesAreCountedInStatusAndMetrics(Vertx vertx) throws IOException {
    Path blocker = dir.resolve("not-a-dir");
    Files.writeString(blocker, "a file where the log's directory should be");
    e = E2eGateway.prepare(vertx, dir);
    e.startGateway(e.telemetryTable("", blocker.resolve("requests.jsonl")));
    e.a.respond(Behaviour.chat("alpha"));
    assertEquals(200, e.post(CHAT, E2eGateway.chatBody(SOLO, "hi", false, null), Map.of()).status());
    JsonObject telemetry = until(E2eGateway.SOON, () -> e.status().getJsonObject("telemetry"),
        t -> t.getLong("log_lines_lost") >= 1, "the lost line counted in /status");
    assertEquals(1L, telemetry.getLong("log_lines_lost"), telemetry::encode);
    String metrics = e.get("/metrics").bodyAsString();
    assertTrue(metrics.contains("\noxllm_telemetry_log_lines_lost_total 1\n"), metrics);
  }

  @Test
  void aClientLeavingMidStreamIsRecordedAsClientClosedWithWhatWasStreamed(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.sseChat(200, 50)); // 10 s of stream
    Promise<String> left = Promise.promise();
    StreamRecorder rec = new StreamRecorder().onEvent((r, n) -> {
      if (n == 3) {
        left.tryComplete(r.header("x-request-id"));
        r.request().reset();
      }
    });
    String json = E2eGateway.chatBody(SOLO, "hi", true, null);
    e.onContext(() -> rec.post(e.client, e.port(), json));
    String id = await(left.future());
    await(e.a.awaitClientCloses(1)); // the gateway cancelled the upstream

    JsonObject line = e.logLine(id);
    assertShape(line);
    assertEquals("client_closed", line.getString("outcome"), line::encode);
    assertTrue(line.getBoolean("stream"), line::encode);
    assertTrue(line.getLong("bytes_out") > 0, () -> "what was streamed before the client left: " + line.encode());
    assertNotNull(line.getValue("ttft_ms"), line::encode);
    assertTrue(line.getLong("bytes_out") >= rec.raw().length(), line::encode);
    JsonObject a = until(E2eGateway.SOON, () -> e.providerStatus("a"), p -> p.getLong("in_flight") == 0,
        "the attempt released");
    assertEquals(0L, a.getLong("failures"), () -> "a client that left is not a provider failure: " + a.encode());
  }
}
