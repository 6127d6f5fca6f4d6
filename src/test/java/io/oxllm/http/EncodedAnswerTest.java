package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.RawSse;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * An upstream that compresses its answer although the gateway asked for identity: the bytes go
 * to the client as they came, with their Content-Encoding, so the client can decode them (the
 * header was dropped, leaving a body no one could read), and a compressed stream is relayed as a
 * body rather than failed for having no readable event.
 */
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class EncodedAnswerTest extends StreamTestBase {

  private static byte[] gzip(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static String gunzip(Buffer body) {
    try (GZIPInputStream z = new GZIPInputStream(new ByteArrayInputStream(body.getBytes()))) {
      return new String(z.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void aCompressedAnswerKeepsItsContentEncoding(VertxTestContext ctx) {
    String json = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,"
        + "\"message\":{\"role\":\"assistant\",\"content\":\"squeezed\"},\"finish_reason\":\"stop\"}]}";
    a.respond(ex -> ex.response().putHeader("content-type", "application/json")
        .putHeader("content-encoding", "gzip").end(Buffer.buffer(gzip(json))));
    onlyA("").compose(port -> GatewayHarness.post(client, port, "/v1/chat/completions",
        "{\"model\":\"" + CHAIN + "\",\"messages\":[]}")).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(200, r.status(), r::bodyAsString);
          assertEquals("gzip", r.header("content-encoding"));
          assertEquals(json, gunzip(r.body()));
          ctx.completeNow();
        })));
  }

  @Test
  void aCompressedStreamGoesThroughAsItCame(VertxTestContext ctx) {
    String wire = RawSse.wire(RawSse.chatEvents(3, true, false, true));
    a.respond(ex -> ex.response().putHeader("content-type", "text/event-stream")
        .putHeader("content-encoding", "gzip").end(Buffer.buffer(gzip(wire))));
    b.respond(ex -> ex.response().setStatusCode(500).end());
    chainAB("").compose(port -> GatewayHarness.post(client, port, "/v1/chat/completions",
        "{\"model\":\"" + CHAIN + "\",\"stream\":true,\"messages\":[]}")).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(200, r.status(), r::bodyAsString);
          assertEquals("a", r.header("x-oxllm-provider"), "no failover: the answer is a's");
          assertEquals("gzip", r.header("content-encoding"));
          assertEquals(wire, gunzip(r.body()));
          ctx.completeNow();
        })));
  }
}
