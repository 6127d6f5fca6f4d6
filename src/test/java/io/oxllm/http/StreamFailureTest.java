package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.Behaviour.Ending;
import io.oxllm.testing.LogCapture;
import io.oxllm.testing.RawSse;
import io.oxllm.testing.StreamRecorder;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SPEC section 5, after the commit point: an upstream that breaks mid-stream can no longer be
 * failed over; the client gets one {@code stream_interrupted} error event and a clean end without
 * {@code [DONE]}, so a truncated answer is never presented as a complete one.
 */
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class StreamFailureTest extends StreamTestBase {

  @Test
  void aCutAfterThreeChunksEndsWithOneErrorEventAndNoFailover(VertxTestContext ctx) {
    a.respond(Behaviour.cutAfter(3, 50));
    b.respond(Behaviour.sseChat(3, 10));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertInterrupted(rec, 3);
      assertEquals(Behaviour.streamText(3), rec.text(), "the 3 content events came through");
      assertEquals(0, b.requestCount(), "no failover after the commit point");
      ctx.completeNow();
    })));
  }

  @Test
  void theClientGetsTheContentBytesUnchangedBeforeTheErrorEvent(VertxTestContext ctx) {
    List<String> events = RawSse.chatEvents(3, false, false, false);
    RawSse up = RawSse.events(events, 30, Ending.CLOSE);
    a.respond(up);
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertInterrupted(rec, 3);
      String wire = RawSse.wire(events);
      assertTrue(rec.rawString().startsWith(wire), rec::rawString);
      assertTrue(rec.rawString().substring(wire.length()).startsWith("data: "), "then one error event");
      ctx.completeNow();
    })));
  }

  @Test
  void aCleanEndWithoutFinishReasonOrDoneIsAnInterruption(VertxTestContext ctx) {
    a.respond(Behaviour.endWithoutDone(false, 3, 20));
    b.respond(Behaviour.sseChat(3, 10));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertInterrupted(rec, 3);
      assertEquals(0, b.requestCount());
      ctx.completeNow();
    })));
  }

  @Test
  void aCleanEndAfterFinishReasonGetsDoneNotAnError(VertxTestContext ctx) {
    a.respond(Behaviour.endWithoutDone(true, 3, 20));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertEquals(null, rec.failure());
      assertTrue(rec.errors().isEmpty(), () -> "no error event: " + rec.events());
      assertEquals(5, rec.events().size(), () -> "3 contents, finish, [DONE]: " + rec.events());
      assertEquals("[DONE]", rec.lastEvent());
      assertTrue(rec.rawString().endsWith("\n\ndata: [DONE]\n\n"), rec::rawString);
      ctx.completeNow();
    })));
  }

  @Test
  void aCleanEndInsideAnEventIsAnInterruptionAndTheCutEventNeverReachesTheClient(VertxTestContext ctx) {
    // after the finish_reason, the upstream ends the body in the middle of an event
    String wire = RawSse.wire(RawSse.chatEvents(2, true, false, false));
    String partial = "data: {\"id\": \"x\", \"cho";
    a.respond(RawSse.pieces(20, Ending.END, wire, partial));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      String raw = rec.rawString();
      // half an event would reach an SDK as JSON that does not parse, before the error saying why
      assertTrue(raw.startsWith(wire + "data: {\"error\""), raw);
      assertFalse(raw.contains("[DONE]"), raw);
      assertEquals(1, raw.split("\"stream_interrupted\"", -1).length - 1, raw);
      assertTrue(raw.endsWith("}}\n\n"), "the error event is a complete SSE event: " + raw);
      ctx.completeNow();
    })));
  }

  @Test
  void anUpstreamResetMidStreamIsOneErrorEventSayingSoAndNoSevereLogLine(VertxTestContext ctx) {
    String wire = RawSse.wire(RawSse.chatEvents(3, false, false, false));
    a.respond(ex -> {
      ex.startSse();
      ex.response().write(wire);
      ex.after(50, ex::resetConnection);
    });
    LogCapture log = LogCapture.start();
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      log.close();
      assertInterrupted(rec, 3);
      String message = new JsonObject(rec.lastEvent()).getJsonObject("error").getString("message");
      assertEquals("upstream stream interrupted: connection reset by peer", message);
      // the attempt reports the reset (its span, the request log, the client's error): no log line per reset
      List<String> severe = log.records().stream().filter(r -> r.startsWith("SEVERE")).toList();
      assertTrue(severe.isEmpty(), severe::toString);
      ctx.completeNow();
    })));
  }

  /** Events of a stream of two choices (n = 2): a delta each, then a finish for {@code finished}. */
  private static String twoChoices(int... finished) {
    StringBuilder wire = new StringBuilder();
    for (int i = 0; i < 2; i++) {
      wire.append("data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":").append(i)
          .append(",\"delta\":{\"content\":\"tok").append(i).append("\"},\"finish_reason\":null}]}\n\n");
    }
    for (int i : finished) {
      wire.append("data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":").append(i)
          .append(",\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    }
    return wire.toString();
  }

  private Future<StreamRecorder> streamOfTwoChoices(int port) {
    String body = new JsonObject(StreamRecorder.chatBody(CHAIN)).put("n", 2).encode();
    return new StreamRecorder().post(client, port, body).compose(StreamRecorder::done);
  }

  @Test
  void withTwoChoicesACleanEndAfterOnlyOneFinishedIsAnInterruption(VertxTestContext ctx) {
    String wire = twoChoices(0);
    a.respond(RawSse.pieces(20, Ending.END, wire));
    chainAB("").compose(this::streamOfTwoChoices).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertInterrupted(rec, 3);
      assertTrue(rec.rawString().startsWith(wire + "data: {\"error\""), rec::rawString);
      assertEquals("upstream stream interrupted: the upstream ended the stream without [DONE] when 1 of 2 choices"
          + " had finished", new JsonObject(rec.lastEvent()).getJsonObject("error").getString("message"));
      ctx.completeNow();
    })));
  }

  @Test
  void withTwoChoicesACleanEndAfterBothFinishedGetsDone(VertxTestContext ctx) {
    String wire = twoChoices(1, 0);
    a.respond(RawSse.pieces(20, Ending.END, wire));
    chainAB("").compose(this::streamOfTwoChoices).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertEquals(wire + "data: [DONE]\n\n", rec.rawString());
      ctx.completeNow();
    })));
  }

  @Test
  void aCleanEndInsideTheNameOfADataLineIsAnInterruptionToo(VertxTestContext ctx) {
    // "da" is a data line cut short (the usage or [DONE] event that was coming), not a complete answer
    String wire = RawSse.wire(RawSse.chatEvents(2, true, false, false));
    a.respond(RawSse.pieces(20, Ending.END, wire, "da"));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertInterrupted(rec, 3);
      assertTrue(rec.rawString().startsWith(wire + "data: {\"error\""), rec::rawString);
      ctx.completeNow();
    })));
  }

  @Test
  void aCutInsideAnEventSendsNoneOfItAndEveryEventTheClientGetsParses(VertxTestContext ctx) {
    // the event's start comes in one read, then the connection drops: its bytes were held, not sent
    String wire = RawSse.wire(RawSse.chatEvents(3, false, false, false));
    String partial = "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok";
    a.respond(RawSse.pieces(20, Ending.CLOSE, wire, partial));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertInterrupted(rec, 3);
      assertTrue(rec.rawString().startsWith(wire + "data: {\"error\""), rec::rawString);
      for (String event : rec.events()) {
        new JsonObject(event); // throws on an event that does not parse
      }
      ctx.completeNow();
    })));
  }

  @Test
  void aCleanCrLfEndAfterFinishReasonGetsDoneWithNoBlankLineBefore(VertxTestContext ctx) {
    String wire = RawSse.wire(RawSse.chatEvents(2, true, false, false)).replace("\n", "\r\n");
    a.respond(RawSse.pieces(20, Ending.END, wire));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertEquals(wire + "data: [DONE]\n\n", rec.rawString());
      ctx.completeNow();
    })));
  }

  @Test
  void aCutAfterFinishReasonButBeforeDoneIsStillAnInterruption(VertxTestContext ctx) {
    // only a clean end may be completed with [DONE]; a dropped connection is a cut
    a.respond(RawSse.events(RawSse.chatEvents(2, true, false, false), 20, Ending.CLOSE));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertInterrupted(rec, 3);
      ctx.completeNow();
    })));
  }

  @Test
  void anErrorEventAfterTheCommitPassesThroughAsData(VertxTestContext ctx) {
    // past the commit point an upstream error event is part of the answer: relayed, not failed over
    List<String> events = List.of(RawSse.chatEvents(1, false, false, false).get(0),
        "{\"error\":{\"message\":\"mid-stream trouble\",\"type\":\"server_error\"}}", "[DONE]");
    RawSse up = RawSse.events(events, 20, Ending.END);
    a.respond(up);
    b.respond(Behaviour.sseChat(3, 10));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertEquals(up.written(), rec.raw());
      assertEquals(0, b.requestCount());
      ctx.completeNow();
    })));
  }
}
