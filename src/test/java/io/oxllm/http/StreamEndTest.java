package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.Behaviour.Ending;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.RawSse;
import io.oxllm.testing.StreamRecorder;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How upstream streams end and begin, from the SSE audit: {@code [DONE]} ends the answer whatever
 * the upstream does after it; a last {@code data: [DONE]} without its blank line is still a
 * complete answer; a first event of type {@code error} fails over whatever its data says.
 */
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class StreamEndTest extends StreamTestBase {
  /** A finished stream, and provider a's /status entry after it. */
  private record Streamed(StreamRecorder rec, JsonObject providerA) {}

  private Future<Streamed> streamThenStatus(int port) {
    return stream(port).compose(rec -> GatewayHarness.send(client, port, HttpMethod.GET, "/status",
        MultiMap.caseInsensitiveMultiMap(), null).map(status ->
            new Streamed(rec, status.json().getJsonArray("providers").getJsonObject(0))));
  }

  /** Provider a counted {@code successes} and {@code failures}. */
  private static void assertCounted(JsonObject providerA, long successes, long failures) {
    assertEquals(successes, providerA.getLong("successes"), providerA::encode);
    assertEquals(failures, providerA.getLong("failures"), providerA::encode);
  }

  @Test
  void doneEndsTheAnswerThoughTheUpstreamKeepsItsConnectionOpen(VertxTestContext ctx) {
    // the upstream sends a whole stream, [DONE] included, and then neither ends nor closes
    String wire = RawSse.wire(RawSse.chatEvents(2, true, false, true));
    a.respond(RawSse.pieces(20, Ending.STALL, wire));
    long[] sent = new long[1];
    chainAB("", "idle_ms = 1500").compose(port -> {
      sent[0] = System.nanoTime();
      return streamThenStatus(port);
    }).onComplete(ctx.succeeding(both -> ctx.verify(() -> {
      StreamRecorder rec = both.rec();
      assertStreamFrom(rec, "a", 1);
      assertNull(rec.failure());
      assertEquals(wire, rec.rawString(), "the upstream's stream, nothing added after its [DONE]");
      long ms = ms(rec.endNanos() - sent[0]);
      assertTrue(ms < 1_000, "ended at the [DONE], not at the 1.5 s idle timeout: " + ms + " ms");
      assertCounted(both.providerA(), 1, 0);
      ctx.completeNow();
    })));
  }

  @Test
  void aLastDoneWithoutItsBlankLineIsStillTheEnd(VertxTestContext ctx) {
    String wire = RawSse.wire(RawSse.chatEvents(2, true, false, false));
    a.respond(RawSse.pieces(20, Ending.END, wire, "data: [DONE]"));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertEquals(wire + "data: [DONE]\n\n", rec.rawString(), "the separator the upstream left out, nothing else");
      assertTrue(rec.errors().isEmpty(), rec::rawString);
      ctx.completeNow();
    })));
  }

  @Test
  void aLastDoneWithOneLineEndGetsOnlyTheBlankLine(VertxTestContext ctx) {
    String wire = RawSse.wire(RawSse.chatEvents(2, true, false, false)).replace("\n", "\r\n");
    a.respond(RawSse.pieces(20, Ending.END, wire, "data: [DONE]\r\n"));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertEquals(wire + "data: [DONE]\r\n\n", rec.rawString());
      assertTrue(rec.sawDone(), rec::rawString);
      ctx.completeNow();
    })));
  }

  @Test
  void aCrLfDoneWhoseLastLfComesInTheNextReadReachesTheClientWhole(VertxTestContext ctx) {
    // the read ends between the CR and the LF of [DONE]'s blank line; nothing is read after [DONE]
    String wire = RawSse.wire(RawSse.chatEvents(2, true, false, false)).replace("\n", "\r\n");
    a.respond(RawSse.pieces(20, Ending.END, wire + "data: [DONE]\r\n\r", "\n"));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertEquals(wire + "data: [DONE]\r\n\r\n", rec.rawString(), "the upstream's bytes, its last LF too");
      ctx.completeNow();
    })));
  }

  @Test
  void aCutAfterAWholeDoneLineIsStillTheEnd(VertxTestContext ctx) {
    // the upstream said [DONE]; only the blank line after it is missing when its connection drops
    String wire = RawSse.wire(RawSse.chatEvents(2, true, false, false));
    a.respond(RawSse.pieces(20, Ending.CLOSE, wire, "data: [DONE]\n"));
    chainAB("").compose(this::streamThenStatus).onComplete(ctx.succeeding(both -> ctx.verify(() -> {
          StreamRecorder rec = both.rec();
          assertStreamFrom(rec, "a", 1);
          assertEquals(wire + "data: [DONE]\n\n", rec.rawString(), "complete, no error event");
          assertCounted(both.providerA(), 1, 0);
          ctx.completeNow();
        })));
  }

  @Test
  void anErrorEventInTheMiddleGoesOnAsItCameAndTheAnswerIsNoSuccess(VertxTestContext ctx) {
    // the client's SDK raises on it; it was logged ok and counted the provider's success (an SDK audit)
    String wire = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"partial\"}}]}\n\n"
        + "data: {\"error\":{\"message\":\"The server had an error while processing your request.\","
        + "\"type\":\"server_error\"}}\n\n" + "data: [DONE]\n\n";
    a.respond(RawSse.pieces(20, Ending.END, wire));
    chainAB("").compose(this::streamThenStatus).onComplete(ctx.succeeding(both -> ctx.verify(() -> {
          StreamRecorder rec = both.rec();
          assertStreamFrom(rec, "a", 1);
          assertEquals(wire, rec.rawString(), "the upstream's stream as it came");
          assertCounted(both.providerA(), 0, 1);
          ctx.completeNow();
        })));
  }

  @Test
  void anErrorEventThenAnEndWithoutDoneIsInterruptedWithTheUpstreamsReason(VertxTestContext ctx) {
    String wire = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"partial\"}}]}\n\n"
        + "event: error\ndata: {\"message\":\"evt failure\"}\n\n";
    a.respond(RawSse.pieces(20, Ending.END, wire));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      JsonObject last = rec.errors().get(rec.errors().size() - 1);
      assertEquals("stream_interrupted", last.getString("code"), rec::rawString);
      assertTrue(last.getString("message").contains("error event in the stream: {\"message\":\"evt failure\"}"),
          rec::rawString);
      ctx.completeNow();
    })));
  }

  @Test
  void aFirstEventOfTypeErrorFailsOverWhateverItsDataSays(VertxTestContext ctx) {
    a.respond(RawSse.pieces(20, Ending.END, "event: error\ndata: upstream overloaded\n\n"));
    b.respond(Behaviour.sseChat(2, 10));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "b", 2);
      assertEquals("[DONE]", rec.lastEvent());
      ctx.completeNow();
    })));
  }

  @Test
  void nothingAfterDoneGoesOutEvenInTheSameRead(VertxTestContext ctx) {
    // [DONE] and what follows it in one write: the tail is not the answer's
    String wire = RawSse.wire(RawSse.chatEvents(2, true, false, true));
    String tail = "data: {\"error\":{\"message\":\"late\"}}\n\n: trailing";
    a.respond(RawSse.pieces(20, Ending.END, wire + tail));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertEquals(wire, rec.rawString());
      ctx.completeNow();
    })));
  }

  @Test
  void nothingAfterDoneGoesOutWhenUsageIsStrippedEither(VertxTestContext ctx) {
    List<String> events = RawSse.chatEvents(2, true, true, true);
    String wire = RawSse.wire(events);
    String withoutUsage = RawSse.wire(events.stream().filter(e -> !e.contains("\"choices\":[]")).toList());
    a.respond(RawSse.pieces(20, Ending.END, wire + "data: {\"after\":1}\n\n"));
    // the client did not ask for usage: the gateway asked for it and strips its chunk
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertEquals(withoutUsage, rec.rawString());
      ctx.completeNow();
    })));
  }
}
