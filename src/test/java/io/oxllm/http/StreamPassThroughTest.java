package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.Behaviour.Ending;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.RawSse;
import io.oxllm.testing.StreamRecorder;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SPEC section 5: what the client receives from a healthy stream. The upstream's bytes unchanged
 * when nothing has to be added or removed; events split across network chunks handled as whole
 * events (the commit waits for the first complete event); the built-in echo provider streaming
 * through the same path.
 */
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class StreamPassThroughTest extends StreamTestBase {

  @Test
  void theClientReceivesTheUpstreamBytesUnchanged(VertxTestContext ctx) {
    List<String> events = RawSse.chatEvents(4, true, false, true);
    RawSse up = RawSse.events(events, 20, Ending.END);
    a.respond(up);
    onlyA("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertNull(rec.failure());
      assertEquals(Buffer.buffer(RawSse.wire(events)), up.written(), "what the upstream wrote");
      assertEquals(up.written(), rec.raw(), "the client must get the upstream bytes unchanged");
      assertEquals("no-cache", rec.header("cache-control"));
      assertEquals("no", rec.header("x-accel-buffering"), "a reverse proxy in front must not buffer it");
      assertEquals(ChainToml.MODEL, rec.header("x-oxllm-model"));
      assertTrue(rec.header("x-request-id") != null && !rec.header("x-request-id").isEmpty());
      assertEquals(null, rec.header("content-length"), "a stream has no Content-Length");
      ctx.completeNow();
    })));
  }

  @Test
  void aFirstEventSplitAcrossChunksIsCommittedOnlyWhenComplete(VertxTestContext ctx) {
    List<String> events = RawSse.chatEvents(2, true, false, true);
    String first = events.get(0);
    int cut = first.indexOf(':') + 1; // right after {"id":
    String rest = RawSse.wire(events.subList(1, events.size()));
    // the first event arrives in three pieces, 150 ms apart; its blank line is itself split
    RawSse up = RawSse.pieces(150, Ending.END,
        "data: " + first.substring(0, cut),
        first.substring(cut) + "\n",
        "\n" + rest);
    a.respond(up);
    onlyA("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertEquals(events, rec.events(), "every event whole, the first one included");
      assertEquals(up.written(), rec.raw(), "bytes unchanged");
      List<Long> written = up.writeNanos();
      assertTrue(rec.headersNanos() >= written.get(2),
          "the gateway committed (sent headers) " + ms(written.get(2) - rec.headersNanos())
              + " ms before the first event was complete");
      assertTrue(ms(rec.headersNanos() - written.get(2)) <= 100,
          "headers " + ms(rec.headersNanos() - written.get(2)) + " ms after the first event completed");
      ctx.completeNow();
    })));
  }

  @Test
  void laterEventsSplitAcrossChunksPassThroughWhole(VertxTestContext ctx) {
    List<String> events = RawSse.chatEvents(3, true, false, true);
    String wire = RawSse.wire(events);
    int firstEnd = wire.indexOf("\n\n") + 2;
    // after a whole first event, the rest arrives in 7-byte pieces, 5 ms apart
    List<String> pieces = new java.util.ArrayList<>();
    pieces.add(wire.substring(0, firstEnd));
    for (int i = firstEnd; i < wire.length(); i += 7) {
      pieces.add(wire.substring(i, Math.min(wire.length(), i + 7)));
    }
    RawSse up = RawSse.pieces(5, Ending.END, pieces.toArray(String[]::new));
    a.respond(up);
    onlyA("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertEquals(events, rec.events());
      assertEquals(Buffer.buffer(wire), rec.raw(), "bytes unchanged; [DONE] not added twice");
      ctx.completeNow();
    })));
  }

  @Test
  void aCleanEndAfterFinishReasonGetsTheMissingDone(VertxTestContext ctx) {
    List<String> events = RawSse.chatEvents(3, true, false, false); // finish_reason, no [DONE]
    RawSse up = RawSse.events(events, 20, Ending.END);
    a.respond(up);
    onlyA("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertNull(rec.failure());
      assertEquals("[DONE]", rec.lastEvent());
      assertTrue(rec.errors().isEmpty(), () -> "no error event: " + rec.events());
      assertEquals(Behaviour.streamText(3), rec.text());
      assertEquals(RawSse.wire(events) + "data: [DONE]\n\n", rec.rawString(),
          "the upstream bytes, then exactly one added [DONE] event");
      ctx.completeNow();
    })));
  }

  @Test
  void theEchoProviderStreamsThroughTheGateway(VertxTestContext ctx) {
    String text = "hello streaming world";
    gateway(ChainToml.echo("echo"))
        .compose(port -> new StreamRecorder().post(client, port, StreamRecorder.chatBody("echo", text)))
        .compose(StreamRecorder::done)
        .onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
          assertStreamFrom(rec, "echo", 1);
          assertNull(rec.failure());
          assertEquals("echo: " + text, rec.text());
          assertTrue(rec.contents().size() > 1, () -> "streamed word by word: " + rec.contents());
          assertEquals("[DONE]", rec.lastEvent());
          assertEquals(1, rec.events().stream().filter("[DONE]"::equals).count());
          assertTrue(rec.errors().isEmpty());
          assertTrue(rec.events().stream().anyMatch(e -> e.contains("\"finish_reason\":\"stop\"")),
              () -> "a finish_reason: " + rec.events());
          ctx.completeNow();
        })));
  }
}
