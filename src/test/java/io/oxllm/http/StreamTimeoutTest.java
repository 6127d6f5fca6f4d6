package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.Behaviour.Ending;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.RawSse;
import io.oxllm.testing.StreamRecorder;
import io.vertx.core.Future;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SPEC sections 2 and 5: {@code idle_ms} (longest silence between two chunks) and
 * {@code total_ms} (hard cap on one attempt) after the commit point end the stream with the
 * {@code stream_interrupted} error event and close the upstream connection.
 */
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class StreamTimeoutTest extends StreamTestBase {

  @Test
  void anIdleUpstreamIsCutAfterIdleMs(VertxTestContext ctx) {
    a.respond(Behaviour.stallAfter(2, 50)); // 2 contents, then silence with the connection open
    b.respond(Behaviour.sseChat(3, 10));
    Future<Long> aClosed = a.awaitClientCloses(1);
    deadline(ctx, 3000, "the idle stream was not cut (idle_ms = 300) and its upstream connection closed");
    chainAB("idle_ms = 300").compose(this::stream)
        .compose(rec -> aClosed.map(closedAt -> new Closed(rec, closedAt)))
        .onComplete(ctx.succeeding(c -> ctx.verify(() -> {
          StreamRecorder rec = c.rec();
          long closedAt = c.closedAt();
          assertStreamFrom(rec, "a", 1);
          assertInterrupted(rec, 2);
          long total = ms(rec.endNanos() - rec.sentNanos());
          assertTrue(total >= 300 && total < 2000, "the stream lasted " + total + " ms (idle_ms = 300)");
          List<Long> arrivals = rec.arrivals();
          long silence = ms(arrivals.get(2) - arrivals.get(1));
          assertTrue(silence >= 280 && silence < 1000,
              "error event " + silence + " ms after the last content event (idle_ms = 300)");
          long closeLag = ms(closedAt - arrivals.get(1));
          assertTrue(closeLag < 1000, "upstream connection closed " + closeLag + " ms after the last event");
          assertEquals(0, b.requestCount(), "no failover after the commit point");
          ctx.completeNow();
        })));
  }

  @Test
  void gapsShorterThanIdleMsDoNotTimeOut(VertxTestContext ctx) {
    // idle_ms bounds the gap between chunks, not the stream: 5 gaps of 200 ms with idle_ms = 300
    a.respond(Behaviour.sseChat(4, 200));
    chainAB("idle_ms = 300").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertNull(rec.failure());
      assertTrue(rec.errors().isEmpty(), () -> "no error event: " + rec.events());
      assertEquals(Behaviour.streamText(4), rec.text());
      assertEquals("[DONE]", rec.lastEvent());
      assertTrue(ms(rec.endNanos() - rec.sentNanos()) >= 1000);
      ctx.completeNow();
    })));
  }

  @Test
  void aSlowStreamIsCutAtTotalMs(VertxTestContext ctx) {
    a.respond(Behaviour.sseChat(50, 100)); // would take 5 s
    b.respond(Behaviour.sseChat(3, 10));
    Future<Long> aClosed = a.awaitClientCloses(1);
    deadline(ctx, 3000, "the stream was not cut at total_ms = 500 and its upstream connection closed");
    chainAB("total_ms = 500").compose(this::stream)
        .compose(rec -> aClosed.map(closedAt -> new Closed(rec, closedAt)))
        .onComplete(ctx.succeeding(c -> ctx.verify(() -> {
          StreamRecorder rec = c.rec();
          long closedAt = c.closedAt();
          assertStreamFrom(rec, "a", 1);
          int contents = rec.events().size() - 1;
          assertTrue(contents >= 3 && contents <= 6, () -> "about 5 events in 500 ms: " + rec.events());
          assertInterrupted(rec, contents);
          long errorAt = ms(rec.arrivals().get(contents) - rec.sentNanos());
          assertTrue(errorAt >= 480 && errorAt < 1500, "error event after " + errorAt + " ms (total_ms = 500)");
          long closeAt = ms(closedAt - rec.sentNanos());
          assertTrue(closeAt < 1500, "upstream connection closed after " + closeAt + " ms");
          assertEquals(0, b.requestCount(), "no failover after the commit point");
          ctx.completeNow();
        })));
  }

  @Test
  void totalMsAlsoBoundsTheWaitForTheFirstEvent(VertxTestContext ctx) {
    // total_ms < first_byte_ms: the hard cap wins even before the commit point, and fails over
    a.respond(Behaviour.headersThenStall());
    b.respond(Behaviour.sseChat(3, 10));
    Future<Long> aClosed = a.awaitClientCloses(1);
    deadline(ctx, 3000, "no failover to b at a's total_ms = 400");
    chainAB("total_ms = 400, first_byte_ms = 5000").compose(this::stream)
        .compose(rec -> aClosed.map(at -> rec))
        .onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
          assertStreamFrom(rec, "b", 2);
          assertEquals(Behaviour.streamText(3), rec.text());
          long waited = ms(rec.headersNanos() - rec.sentNanos());
          assertTrue(waited >= 400 && waited < 2000, "failed over after " + waited + " ms (total_ms = 400)");
          ctx.completeNow();
        })));
  }

  @Test
  void keepAliveCommentsAreNoFirstEventAndTheErrorSaysSo(VertxTestContext ctx) {
    // OpenRouter-style comments while the request queues: the head and bytes came, no event did
    String[] comments = new String[20];
    Arrays.fill(comments, ": OPENROUTER PROCESSING\n\n");
    a.respond(RawSse.pieces(100, Ending.STALL, comments));
    onlyA("first_byte_ms = 400").compose(port -> GatewayHarness.post(client, port,
            "/v1/chat/completions", StreamRecorder.chatBody(CHAIN)))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          String message = assertError(r, 502, "upstream_error", "all_providers_failed")
              .getString("message");
          assertTrue(message.contains("a: no first SSE event within 400 ms (the response head came;"), message);
          ctx.completeNow();
        })));
  }

  /** A finished stream and when the upstream saw the gateway close its connection. */
  private record Closed(StreamRecorder rec, long closedAt) {}
}
