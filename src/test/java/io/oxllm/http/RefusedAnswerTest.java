package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.assertError;
import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.FlowSupport;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.RawUpstream;
import io.oxllm.testing.StreamRecorder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What an upstream said in an answer the gateway does not relay (a status in retry_on) reaches the
 * attempt's record and the client's error message: "status 503: the engine is overloaded", not
 * "status 503". A 429 that says the account is out of credit is, for the client, a failed attempt
 * with its own words, not "rate limited, retry after 30 s" (an SDK audit). Reading the body never
 * holds the failover up.
 */
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class RefusedAnswerTest extends StreamTestBase {
  private static final String QUOTA = "{\"error\":{\"message\":\"You exceeded your current quota, please check your plan"
      + " and billing details.\",\"type\":\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}";
  private RawUpstream raw;

  @AfterEach
  void closeRaw() {
    if (raw != null) {
      await(raw.close());
    }
  }

  /** A 503 of {@code type} whose head says {@code length} bytes, then {@code body}. */
  private static Buffer head503(String type, int length) {
    return RawUpstream.bytes("HTTP/1.1 503 Service Unavailable\r\nContent-Type: " + type + "\r\nContent-Length: "
        + length + "\r\n\r\n");
  }

  private static Buffer answer503(String type, String body) {
    return head503(type, body.length()).appendBuffer(RawUpstream.bytes(body));
  }

  /** A JSON 503 whose head goes at once, its body {@code delayMs} later. */
  private RawUpstream.Script bodyAfter(long delayMs, String body) {
    return (n, socket) -> {
      socket.write(head503("application/json", body.length()));
      vertx.setTimer(delayMs, t -> socket.write(RawUpstream.bytes(body)));
    };
  }

  private Response chat(int port) {
    return await(FlowSupport.chat(client, port, CHAIN));
  }

  @Test
  void theFailedAttemptsSayWhatEachUpstreamSaid() {
    a.respond(Behaviour.error(503, "server_error", "The engine is currently overloaded"));
    b.respond(Behaviour.error(500, "server_error", "Bearer sk-a-very-secret-key was refused"));
    int port = await(gateway(ChainToml.provider("a", a, "") + ChainToml.provider("b", b, "")
        .replace("[[providers]]\n", "[[providers]]\napi_key = \"sk-a-very-secret-key\"\n")
        + ChainToml.chain(CHAIN, "a", "b")));
    Response r = chat(port);
    String message = assertError(r, 502, "upstream_error", "all_providers_failed").getString("message");
    assertNull(r.header("x-should-retry"), "a failure may pass: the SDKs' own rules hold");
    assertTrue(message.contains("a: status 503: The engine is currently overloaded ("), message);
    assertTrue(message.contains("b: status 500: Bearer [redacted] was refused"), message);
    assertFalse(message.contains("very-secret"), message);
  }

  @Test
  void aTextBodySaysItsFirstLine() {
    raw = await(RawUpstream.start(vertx,
        (n, socket) -> socket.write(answer503("text/plain", "backend down\r\nat line 7 of x.py\n"))));
    int port = await(gateway(raw.provider("r", "") + ChainToml.chain(CHAIN, "r")));
    String message = assertError(chat(port), 502, "upstream_error", "all_providers_failed").getString("message");
    assertTrue(message.contains("r: status 503: backend down ("), message);
  }

  @Test
  void aBodyWrittenApartFromItsHeadIsReadToo() {
    // as Python's http.server writes them: the head, then the body in a write (a packet) of its own
    raw = await(RawUpstream.start(vertx, bodyAfter(10, "{\"error\":{\"message\":\"written apart\"}}")));
    int port = await(gateway(raw.provider("r", "") + ChainToml.chain(CHAIN, "r")));
    String message = assertError(chat(port), 502, "upstream_error", "all_providers_failed").getString("message");
    assertTrue(message.contains("r: status 503: written apart ("), message);
  }

  @Test
  void whatAJsonErrorCutShortOrATextWithBlankLinesSays() {
    String big = "{\"error\":{\"message\":\"short message\\u0000\\u001b[31m then a big param\",\"param\":\""
        + "p".repeat(5000) + "\"}}";
    String text = "\r\n\r\nbackend down\n";
    raw = await(RawUpstream.start(vertx,
        (n, socket) -> socket.write(n == 1 ? answer503("application/json", big) : answer503("text/plain", text))));
    int port = await(gateway(raw.provider("r", "") + ChainToml.chain(CHAIN, "r")));
    String first = assertError(chat(port), 502, "upstream_error", "all_providers_failed").getString("message");
    // the message as far as it came (over the 4 KB read), its control characters as spaces
    assertTrue(first.contains("r: status 503: short message  [31m then a big param ("), first);
    String second = assertError(chat(port), 502, "upstream_error", "all_providers_failed").getString("message");
    assertTrue(second.contains("r: status 503: backend down ("), second);
  }

  @Test
  void aClientThatLeavesWhileTheBodyIsReadTakesNothingFromTheProvidersAnswer() throws Exception {
    io.vertx.core.Promise<Void> headSent = io.vertx.core.Promise.promise();
    raw = await(RawUpstream.start(vertx, (n, socket) -> {
      socket.write(RawUpstream.bytes("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 20\r\nContent-Length: 100\r\n\r\n"));
      vertx.setTimer(5, t -> headSent.tryComplete()); // the body never comes
    }));
    int port = await(gateway(raw.provider("r", "") + ChainToml.chain(CHAIN, "r")));
    long before = System.currentTimeMillis();
    try (java.net.Socket client = new java.net.Socket("127.0.0.1", port)) {
      String body = StreamRecorder.chatBody(CHAIN).replace("\"stream\":true", "\"stream\":false");
      client.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      await(headSent.future()); // then gone, inside the 50 ms the gateway gives the body
    }
    JsonObject st = await(FlowSupport.providerWhen(vertx, client, port, "r", 5_000,
        p -> p.getValue("rate_limited_until") != null && p.getInteger("in_flight", 1) == 0));
    assertTrue(FlowSupport.epochMs(st, "rate_limited_until") >= before + 19_000,
        "the 429's cooldown holds though the client left: " + st.encode());
  }

  @Test
  void aBodyThatNeverEndsDoesNotKeepItsConnection() {
    raw = await(RawUpstream.start(vertx, (n, socket) -> socket.write(n == 1
        ? head503("text/plain", 100).appendBuffer(RawUpstream.bytes("never ends"))
        : RawUpstream.bytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"))));
    int port = await(gateway(raw.provider("r", "") + "max_connections = 1\n" + ChainToml.chain(CHAIN, "r")));
    String message = assertError(chat(port), 502, "upstream_error", "all_providers_failed").getString("message");
    assertTrue(message.contains("r: status 503: never ends ("), message);
    long start = System.nanoTime();
    Response r = chat(port); // the provider's one connection is free again: the first was closed
    assertEquals(200, r.status(), r::bodyAsString);
    assertTrue(ms(System.nanoTime() - start) < 1_000, "no wait for the pool: " + ms(System.nanoTime() - start) + " ms");
    assertEquals(List.of(1), raw.closedConnections());
  }

  @Test
  void aBodyThatComesSlowlyDoesNotHoldTheFailover() {
    raw = await(RawUpstream.start(vertx, bodyAfter(3_000, "{\"error\":{\"message\":\"too late to be read\"}}")));
    b.respond(Behaviour.chat("from b"));
    int port = await(gateway(raw.provider("r", "") + ChainToml.provider("b", b, "") + ChainToml.chain(CHAIN, "r", "b")));
    long start = System.nanoTime();
    Response r = chat(port);
    long took = ms(System.nanoTime() - start);
    assertEquals(200, r.status(), r::bodyAsString);
    assertEquals("b", r.header("x-oxllm-provider"));
    assertTrue(took < 1_500, "failed over without waiting for the body: " + took + " ms");
  }

  @Test
  void aTotalTimeoutWhileTheBodyIsAwaitedKeepsTheStatusThatCame() {
    // the head at once, its body after total_ms: the 503 came, and its record says so (an audit
    // saw "total timeout after 30 ms" where the upstream had answered 503)
    raw = await(RawUpstream.start(vertx, bodyAfter(RefusedAnswer.WAIT_MS - 5, "{\"error\":{\"message\":\"too late to be read\"}}")));
    int port = await(gateway(raw.provider("r", "total_ms = " + (RefusedAnswer.WAIT_MS - 10)) + ChainToml.chain(CHAIN, "r")));
    chat(port); // a warm-up: the head's time, on a first connection of a fresh JVM, may pass total_ms
    String message = assertError(chat(port), 502, "upstream_error", "all_providers_failed").getString("message");
    assertTrue(message.contains("r: status 503 ("), message);
  }

  @Test
  void anOutOfQuota429IsAFailedAttemptForTheClientAndStillCoolsItsProviderDown() {
    a.respond(Behaviour.json(429, QUOTA));
    int port = await(onlyA(""));
    long before = System.currentTimeMillis();
    Response r = chat(port);
    String message = assertError(r, 502, "upstream_error", "all_providers_failed").getString("message");
    assertTrue(message.contains("a: status 429: You exceeded your current quota"), message);
    assertTrue(message.contains("(insufficient_quota)"), message);
    assertNull(r.header("retry-after"), "no wait is promised: waiting does not end it");
    assertEquals("false", r.header("x-should-retry"), "nor a retry: the SDKs obey this header");
    // the next request finds the provider cooling down for it: no rate limit to wait out either
    Response again = chat(port);
    String why = assertError(again, 503, "service_unavailable", "no_healthy_provider").getString("message");
    assertTrue(why.contains("1 of them out of credit"), why);
    assertEquals("false", again.header("x-should-retry"), "an SDK would have slept through its Retry-After");
    assertEquals(1, a.requestCount());
    JsonObject st = await(FlowSupport.provider(client, port, "a"));
    assertTrue(FlowSupport.epochMs(st, "rate_limited_until") >= before + 25_000,
        "a 429 still cools its provider down (SPEC section 4): " + st.encode());
    assertEquals(0, st.getLong("failures"), "and is no failure of its circuit's: " + st.encode());
  }

  @Test
  void allRateLimitedSaysWhatEachUpstreamSaid() {
    a.respond(Behaviour.error(429, "rate_limit_error", "Rate limit reached for requests", Map.of("retry-after", "3")));
    b.respond(Behaviour.error(429, "rate_limit_error", "b is limited", Map.of("retry-after", "5")));
    int port = await(chainAB(""));
    Response r = chat(port);
    String message = assertError(r, 429, "rate_limit_error", "all_providers_rate_limited").getString("message");
    assertEquals("3", r.header("retry-after"));
    assertNull(r.header("x-should-retry"), "a rate limit ends: the SDKs' own rules hold");
    assertTrue(message.startsWith("Every provider for model 'chat' is rate limited; retry after 3 s. Attempts: a: status 429:"
        + " Rate limit reached for requests"), message);
    assertTrue(message.contains("b: status 429: b is limited"), message);
    // the next request finds both cooling down: no attempt, and the message says why
    Response again = chat(port);
    String second = assertError(again, 429, "rate_limit_error", "all_providers_rate_limited").getString("message");
    assertTrue(second.startsWith("Every provider for model 'chat' is cooling down after a 429 it answered; retry after"), second);
    assertEquals(1, a.requestCount());
    assertEquals(1, b.requestCount());
  }
}
