package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.oxllm.testing.Behaviour.Ending;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.RawSse;
import io.oxllm.testing.StreamRecorder;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SPEC section 5, {@code inject_stream_usage}: when the client did not ask for
 * {@code stream_options.include_usage}, the gateway asks the upstream for it and removes the
 * usage-only chunk before it reaches the client; when nothing has to be removed the client gets
 * the upstream's bytes unchanged.
 */
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class StreamUsageTest extends StreamTestBase {

  private static String body(JsonObject streamOptions) {
    JsonObject b = new JsonObject(StreamRecorder.chatBody(ChainToml.MODEL));
    if (streamOptions != null) {
      b.put("stream_options", streamOptions);
    }
    return b.encode();
  }

  private Future<StreamRecorder> post(String head, String json) {
    return gateway(head + ChainToml.provider("a", a, ""))
        .compose(port -> new StreamRecorder().post(client, port, json))
        .compose(StreamRecorder::done);
  }

  @Test
  void whenTheClientAskedForUsageTheUsageChunkPassesThroughUnchanged(VertxTestContext ctx) {
    List<String> events = RawSse.chatEvents(3, true, true, true);
    RawSse up = RawSse.events(events, 10, Ending.END);
    a.respond(up);
    String json = body(new JsonObject().put("include_usage", true));
    post("", json).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertEquals(up.written(), rec.raw(), "bytes unchanged, usage chunk included");
      assertEquals(json, a.received().get(0).bodyAsString(), "the request body is forwarded as sent");
      ctx.completeNow();
    })));
  }

  @Test
  void theGatewayAsksForUsageAndRemovesTheUsageChunkTheClientDidNotAskFor(VertxTestContext ctx) {
    List<String> events = RawSse.chatEvents(3, true, true, true); // contents, finish, usage, [DONE]
    a.respond(RawSse.events(events, 10, Ending.END));
    String json = body(null);
    post("", json).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      JsonObject sent = a.received().get(0).bodyAsJson();
      JsonObject options = sent.getJsonObject("stream_options");
      assertEquals(Boolean.TRUE, options == null ? null : options.getValue("include_usage"),
          () -> "the upstream must be asked for usage: " + sent.encode());
      JsonObject original = new JsonObject(json);
      assertEquals(original.getJsonArray("messages"), sent.getJsonArray("messages"));
      assertEquals(withoutUsageChunk(events), rec.events(), "the client sees the stream it asked for");
      assertEquals(RawSse.wire(withoutUsageChunk(events)), rec.rawString());
      ctx.completeNow();
    })));
  }

  @Test
  void anExplicitIncludeUsageFalseIsTreatedLikeAbsent(VertxTestContext ctx) {
    List<String> events = RawSse.chatEvents(2, true, true, true);
    a.respond(RawSse.events(events, 10, Ending.END));
    post("", body(new JsonObject().put("include_usage", false))).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      JsonObject options = a.received().get(0).bodyAsJson().getJsonObject("stream_options");
      assertEquals(Boolean.TRUE, options.getValue("include_usage"));
      assertEquals(withoutUsageChunk(events), rec.events());
      ctx.completeNow();
    })));
  }

  @Test
  void withInjectionOffTheRequestAndTheStreamPassUntouched(VertxTestContext ctx) {
    List<String> events = RawSse.chatEvents(3, true, false, true);
    RawSse up = RawSse.events(events, 10, Ending.END);
    a.respond(up);
    String json = body(null);
    post("[routing]\ninject_stream_usage = false\n", json).onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
      assertStreamFrom(rec, "a", 1);
      assertEquals(json, a.received().get(0).bodyAsString(), "the request body is forwarded as sent");
      assertNull(a.received().get(0).bodyAsJson().getValue("stream_options"));
      assertEquals(up.written(), rec.raw(), "bytes unchanged");
      ctx.completeNow();
    })));
  }

  @Test
  void aProviderCanTurnInjectionOffForItselfAndOnAgainstTheRouting(VertxTestContext ctx) {
    // a server that refuses fields it does not know answers stream_options with a 400
    a.respond(RawSse.events(RawSse.chatEvents(2, true, false, true), 10, Ending.END));
    List<String> withUsage = RawSse.chatEvents(2, true, true, true);
    b.respond(RawSse.events(withUsage, 10, Ending.END));
    String strictA = ChainToml.provider("a", a, "") + "inject_stream_usage = false\n";
    String eagerB = "[routing]\ninject_stream_usage = false\n" + ChainToml.provider("b", b, "") + "inject_stream_usage = true\n";
    gateway(strictA + ChainToml.chain(CHAIN, "a"))
        .compose(port -> new StreamRecorder().post(client, port, StreamRecorder.chatBody(CHAIN)).compose(StreamRecorder::done))
        .compose(first -> gateway.close().compose(v -> gateway(eagerB + ChainToml.chain(CHAIN, "b")))
            .compose(port -> new StreamRecorder().post(client, port, StreamRecorder.chatBody(CHAIN)).compose(StreamRecorder::done))
            .map(second -> List.of(first, second)))
        .onComplete(ctx.succeeding(recs -> ctx.verify(() -> {
          assertStreamFrom(recs.get(0), "a", 1);
          assertNull(a.received().get(0).bodyAsJson().getValue("stream_options"), "a said no");
          assertStreamFrom(recs.get(1), "b", 1);
          JsonObject options = b.received().get(0).bodyAsJson().getJsonObject("stream_options");
          assertEquals(Boolean.TRUE, options == null ? null : options.getValue("include_usage"), "b said yes");
          assertEquals(withoutUsageChunk(withUsage), recs.get(1).events());
          ctx.completeNow();
        })));
  }

  /** The events without the usage-only chunk ({@code "choices": []} with a usage). */
  private static List<String> withoutUsageChunk(List<String> events) {
    List<String> out = new ArrayList<>();
    for (String e : events) {
      if (e.startsWith("{")) {
        JsonObject j = new JsonObject(e);
        JsonArray choices = j.getJsonArray("choices");
        if (choices != null && choices.isEmpty() && j.getValue("usage") != null) {
          continue;
        }
      }
      out.add(e);
    }
    return out;
  }
}
