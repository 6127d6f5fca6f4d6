package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.Gateway;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.StreamRecorder;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Shared set-up of the streaming integration tests: two scriptable upstreams {@code a} and
 * {@code b}, a client, and a gateway started per test from TOML (each test picks its timeouts).
 * Everything runs over real sockets on 127.0.0.1 in a fresh Vertx per test.
 */
@ExtendWith(VertxExtension.class)
abstract class StreamTestBase {
  /** Virtual model chaining a, then b. */
  static final String CHAIN = "chat";

  Vertx vertx;
  TestUpstream a;
  TestUpstream b;
  HttpClient client;
  Gateway gateway;

  @BeforeEach
  void startUpstreams(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    client = GatewayHarness.client(vertx);
    TestUpstream.start(vertx)
        .compose(u -> {
          a = u;
          return TestUpstream.start(vertx);
        })
        .onComplete(ctx.succeeding(u -> {
          b = u;
          ctx.completeNow();
        }));
  }

  @AfterEach
  void stopAll(VertxTestContext ctx) {
    Future<Void> f = gateway == null ? Future.succeededFuture() : gateway.close();
    f.eventually(() -> client.close())
        .eventually(() -> a.close())
        .eventually(() -> b.close())
        .onComplete(ar -> ctx.completeNow());
  }

  /** Starts a gateway from {@code toml}; completes with its port. */
  Future<Integer> gateway(String toml) {
    return GatewayHarness.start(vertx, toml).map(g -> {
      gateway = g;
      return g.port();
    });
  }

  /** A gateway with virtual model {@value #CHAIN} = [a (with {@code aTimeouts}), b], after {@code head} (e.g. "[routing]..."). */
  Future<Integer> chainAB(String head, String aTimeouts) {
    return gateway(head + ChainToml.provider("a", a, aTimeouts) + ChainToml.provider("b", b, "")
        + ChainToml.chain(CHAIN, "a", "b"));
  }

  Future<Integer> chainAB(String aTimeouts) {
    return chainAB("", aTimeouts);
  }

  /** A gateway with only provider a (serving model "m", with {@code timeouts}) and chain {@value #CHAIN} = [a]. */
  Future<Integer> onlyA(String timeouts) {
    return gateway(ChainToml.provider("a", a, timeouts) + ChainToml.chain(CHAIN, "a"));
  }

  /** Streams {@value #CHAIN} and completes when the response is over. */
  Future<StreamRecorder> stream(int port) {
    return new StreamRecorder().post(client, port, StreamRecorder.chatBody(CHAIN)).compose(StreamRecorder::done);
  }

  /**
   * Fails the test with {@code what} unless it completed within {@code ms}: a clear message when
   * the gateway never does what is awaited, instead of the class-wide timeout.
   */
  void deadline(VertxTestContext ctx, long ms, String what) {
    vertx.setTimer(ms, t -> {
      if (!ctx.completed()) {
        ctx.failNow(new AssertionError(what + " (not within " + ms + " ms)"));
      }
    });
  }

  static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  /** Status 200, an event stream, answered by {@code provider} after {@code attempts} real attempts. */
  static void assertStreamFrom(StreamRecorder rec, String provider, int attempts) {
    assertEquals(200, rec.status(), () -> "status; body: " + rec.rawString());
    assertTrue(rec.header("content-type").startsWith("text/event-stream"), rec.header("content-type"));
    assertEquals(provider, rec.header("x-oxllm-provider"), "x-oxllm-provider");
    assertEquals(Integer.toString(attempts), rec.header("x-oxllm-attempts"), "x-oxllm-attempts");
  }

  /**
   * SPEC section 5 after the commit point: the stream ended cleanly (no reset) with exactly one
   * final {@code stream_interrupted} error event after {@code contentEvents} events, and no [DONE].
   */
  static void assertInterrupted(StreamRecorder rec, int contentEvents) {
    List<String> events = rec.events();
    assertNull(rec.failure(), () -> "the response must end cleanly, not be reset: " + rec.failure());
    assertFalse(rec.sawDone(), () -> "a truncated stream must not end with [DONE]: " + events);
    assertEquals(contentEvents + 1, events.size(), () -> "events: " + events);
    assertEquals(1, rec.errors().size(), () -> "exactly one error event: " + events);
    JsonObject last = new JsonObject(events.get(events.size() - 1));
    JsonObject error = last.getJsonObject("error");
    assertEquals("upstream_error", error.getString("type"), last::encode);
    assertEquals("stream_interrupted", error.getString("code"), last::encode);
    assertFalse(error.getString("message", "").isBlank(), last::encode);
    assertTrue(rec.rawString().endsWith("\n\n"), "the error event is a complete SSE event");
  }
}
