package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.Behaviour.Ending;
import io.oxllm.testing.ChainToml;
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
 * SPEC sections 4 and 5, before the commit point: the gateway holds the response headers until the
 * first SSE event, so an upstream that fails before it (stalls, ends, resets, or whose first event
 * is an error) is failed over like any pre-commit failure, and the client sees only the stream of
 * the provider that answered.
 */
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class StreamFailoverTest extends StreamTestBase {

  /** b's stream as the client must see it, alone: 3 contents, finish, [DONE]. */
  private void assertOnlyB(StreamRecorder rec) {
    assertStreamFrom(rec, "b", 2);
    assertNull(rec.failure());
    assertEquals(Behaviour.streamText(3), rec.text());
    assertEquals(5, rec.events().size(), () -> "only b's events: " + rec.events());
    assertEquals("[DONE]", rec.lastEvent());
    assertTrue(rec.errors().isEmpty(), () -> "nothing of a's attempt may leak: " + rec.events());
    assertEquals(1, a.requestCount());
    assertEquals(1, b.requestCount());
  }

  @Test
  void headersThenStallFailsOverAtFirstByteTimeoutAndClosesTheFirstConnection(VertxTestContext ctx) {
    a.respond(Behaviour.headersThenStall());
    b.respond(Behaviour.sseChat(3, 10));
    Future<Long> aClosed = a.awaitClientCloses(1);
    deadline(ctx, 3000, "no failover to b after a's first_byte_ms = 400 and a's connection closed");
    chainAB("first_byte_ms = 400").compose(this::stream)
        .compose(rec -> aClosed.map(at -> rec))
        .onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
          assertOnlyB(rec);
          long waited = ms(rec.headersNanos() - rec.sentNanos());
          assertTrue(waited >= 400 && waited < 2000, "failed over after " + waited + " ms (first_byte_ms = 400)");
          long bArrived = b.received().get(0).arrivedNanos();
          assertTrue(ms(bArrived - a.received().get(0).arrivedNanos()) >= 390, "b tried only after a's deadline");
          assertEquals(1, a.clientClosedCount(), "a's connection must be closed by the gateway");
          ctx.completeNow();
        })));
  }

  @Test
  void aFirstEventThatIsAnErrorFailsOver(VertxTestContext ctx) {
    a.respond(Behaviour.sse(List.of("{\"error\":{\"message\":\"overloaded\"}}"), 0));
    b.respond(Behaviour.sseChat(3, 10));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertOnlyB(rec);
      assertFalse(rec.rawString().contains("overloaded"), "a's error event must not reach the client");
      ctx.completeNow();
    })));
  }

  @Test
  void anErrorBodyWith200ToAStreamRequestFailsOver(VertxTestContext ctx) {
    // some servers refuse a stream so; a client reading SSE took it for an empty answer (an audit)
    a.respond(Behaviour.json(200, "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}"));
    b.respond(Behaviour.sseChat(3, 10));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertOnlyB(rec);
      assertFalse(rec.rawString().contains("overloaded"), "a's error body must not reach the client");
      ctx.completeNow();
    })));
  }

  @Test
  void anErrorBodyWith200FromTheLastTargetIsA502NamingIt(VertxTestContext ctx) {
    a.respond(Behaviour.json(200, "{\"error\":\"streaming is not supported\"}"));
    onlyA("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertEquals(502, rec.status(), rec::rawString);
      JsonObject error = new JsonObject(rec.rawString()).getJsonObject("error");
      assertEquals("all_providers_failed", error.getString("code"));
      assertTrue(error.getString("message").contains("error body to a stream request: streaming is not supported"),
          error::encode);
      ctx.completeNow();
    })));
  }

  @Test
  void anUpstreamQuotingTheProvidersSecretsHasThemRedactedFromThe502(VertxTestContext ctx) {
    // some servers say what they were sent, "Invalid API key: Bearer sk-…": the SPEC shows no key, ever
    a.enqueue(ex -> Behaviour.json(200, "{\"error\":{\"message\":\"Invalid API key: " + sentSecrets(ex) + "\"}}").handle(ex),
        ex -> Behaviour.sse(List.of("{\"error\":{\"message\":\"bad key " + sentSecrets(ex) + "\"}}"), 0).handle(ex));
    gateway(ChainToml.provider("a", a, "") + "api_key = \"sk-SECRET-0123456789\"\nheaders = { x-org = \"org-PRIVATE-42\" }\n"
        + ChainToml.chain(CHAIN, "a"))
        .compose(port -> stream(port).compose(first -> stream(port).map(second -> List.of(first, second))))
        .onComplete(ctx.succeeding(recs -> ctx.verify(() -> {
          for (StreamRecorder rec : recs) {
            assertEquals(502, rec.status(), rec::rawString);
            assertFalse(rec.rawString().contains("SECRET") || rec.rawString().contains("PRIVATE"), rec::rawString);
          }
          String bodyError = new JsonObject(recs.get(0).rawString()).getJsonObject("error").getString("message");
          assertTrue(bodyError.contains("error body to a stream request: Invalid API key: Bearer [redacted], x-org [redacted]"),
              bodyError);
          String eventError = new JsonObject(recs.get(1).rawString()).getJsonObject("error").getString("message");
          assertTrue(eventError.contains("error event: bad key Bearer [redacted], x-org [redacted]"), eventError);
          ctx.completeNow();
        })));
  }

  private static String sentSecrets(io.oxllm.testing.Exchange ex) {
    return ex.request().getHeader("Authorization") + ", x-org " + ex.request().getHeader("x-org");
  }

  @Test
  void aWholeCompletionWith200ToAStreamRequestGoesOutAsThatStream(VertxTestContext ctx) {
    // an upstream that ignores stream: until 2026-12-07 its JSON went out as it came, and both
    // OpenAI SDKs, reading SSE, yielded no chunk and no error (an SDK audit)
    String answer = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":7,\"model\":\"m-1\",\"choices\":[{\"index\":0,"
        + "\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
    a.respond(Behaviour.json(200, answer));
    onlyA("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertEquals(200, rec.status());
      assertTrue(rec.header("content-type").startsWith("text/event-stream"), rec.header("content-type"));
      assertNull(rec.header("content-length"));
      assertEquals(List.of("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m-1\",\"choices\":"
          + "[{\"index\":0,\"finish_reason\":\"stop\",\"delta\":{\"role\":\"assistant\",\"content\":\"hi\"}}]}", "[DONE]"),
          rec.events(), "one chunk, no usage chunk (not asked for), [DONE]");
      assertEquals("hi", rec.text());
      ctx.completeNow();
    })));
  }

  @Test
  void aCompletionOver64KibIsConvertedToo(VertxTestContext ctx) {
    // logprobs make a completion long: past 64 KiB it went out as JSON, an empty stream to an SDK (an audit)
    String answer = "{\"id\":\"c2\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
        + "{\"role\":\"assistant\",\"content\":\"" + "y".repeat(200_000) + "\"},\"finish_reason\":\"stop\"}]}";
    a.respond(Behaviour.json(200, answer));
    onlyA("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertTrue(rec.header("content-type").startsWith("text/event-stream"), rec.header("content-type"));
      assertEquals("y".repeat(200_000), rec.text());
      assertEquals("[DONE]", rec.lastEvent());
      ctx.completeNow();
    })));
  }

  @Test
  void aWholeAnswerThatIsNoCompletionOrTooLongToHoldGoesOutAsItCame(VertxTestContext ctx) {
    String other = "{\"id\":\"c1\",\"result\":\"hi\"}";
    String longError = "{\"error\":{\"message\":\"" + "x".repeat(StreamRelay.MAX_BEFORE_FIRST_EVENT) + "\"}}";
    a.enqueue(Behaviour.json(200, other), Behaviour.json(200, longError));
    onlyA("").compose(port -> stream(port).compose(first -> stream(port).map(second -> List.of(first, second))))
        .onComplete(ctx.succeeding(recs -> ctx.verify(() -> {
          assertEquals(200, recs.get(0).status());
          assertEquals(other, recs.get(0).rawString());
          assertEquals(200, recs.get(1).status());
          assertEquals(longError, recs.get(1).rawString());
          assertEquals(2, a.requestCount());
          ctx.completeNow();
        })));
  }

  @Test
  void aFirstErrorEventSplitAcrossChunksStillFailsOver(VertxTestContext ctx) {
    a.respond(RawSse.pieces(100, Ending.END,
        "data: {\"error\":", "{\"message\":\"overloaded\"}}\n", "\n"));
    b.respond(Behaviour.sseChat(3, 10));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertOnlyB(rec);
      assertFalse(rec.rawString().contains("overloaded"), "a's error event must not reach the client");
      ctx.completeNow();
    })));
  }

  @Test
  void aStreamThatEndsBeforeAnyEventFailsOver(VertxTestContext ctx) {
    a.respond(Behaviour.sse(List.of(), 0)); // 200 event-stream, then a clean empty end
    b.respond(Behaviour.sseChat(3, 10));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertOnlyB(rec);
      ctx.completeNow();
    })));
  }

  @Test
  void aStreamWithOnlyCommentsBeforeItsEndFailsOver(VertxTestContext ctx) {
    // comments are not events: nothing was committed when the stream ends
    a.respond(RawSse.pieces(50, Ending.END, ": keep-alive\n\n", ": keep-alive\n\n"));
    b.respond(Behaviour.sseChat(3, 10));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertOnlyB(rec);
      assertFalse(rec.rawString().contains("keep-alive"), "a's bytes must not reach the client");
      ctx.completeNow();
    })));
  }

  @Test
  void keepAliveCommentsDoNotStopTheFirstByteDeadline(VertxTestContext ctx) {
    // first_byte_ms runs "for streams until the first SSE event": comments every 100 ms do not count
    String[] pings = new String[20];
    java.util.Arrays.fill(pings, ": ping\n\n");
    a.respond(RawSse.pieces(100, Ending.END, pings)); // 2 s of pings, then an empty end
    b.respond(Behaviour.sseChat(3, 10));
    chainAB("first_byte_ms = 400").compose(this::stream)
        .onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
          assertOnlyB(rec);
          long waited = ms(rec.headersNanos() - rec.sentNanos());
          assertTrue(waited >= 400 && waited < 1000, "failed over after " + waited + " ms (first_byte_ms = 400)");
          ctx.completeNow();
        })));
  }

  @Test
  void aResetAfterHeadersButBeforeAnyEventFailsOver(VertxTestContext ctx) {
    a.respond(Behaviour.stream(List.of(), 0, Ending.CLOSE)); // headers, then the connection drops
    b.respond(Behaviour.sseChat(3, 10));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertOnlyB(rec);
      ctx.completeNow();
    })));
  }

  @Test
  void whenEveryAttemptFailsBeforeCommitTheClientGetsA502JsonError(VertxTestContext ctx) {
    a.respond(Behaviour.sse(List.of("{\"error\":{\"message\":\"overloaded\"}}"), 0));
    b.respond(Behaviour.sse(List.of(), 0));
    chainAB("").compose(this::stream).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertEquals(502, rec.status(), rec::rawString);
      assertTrue(rec.header("content-type").startsWith("application/json"), rec.header("content-type"));
      assertEquals("2", rec.header("x-oxllm-attempts"));
      JsonObject error = new JsonObject(rec.raw()).getJsonObject("error");
      assertEquals("upstream_error", error.getString("type"));
      assertEquals("all_providers_failed", error.getString("code"));
      assertFalse(error.getString("message", "").isBlank());
      ctx.completeNow();
    })));
  }
}
