package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpServerOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Pipelined requests are decoded no further ahead than the one being answered and the next: the
 * rest wait as bytes, reads stop, and each answer's end lets one more through.
 */
class FramingDecoderTest {
  private final FramingDecoder decoder = new FramingDecoder(new HttpServerOptions());
  private final AtomicInteger readsAsked = new AtomicInteger();
  private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
    @Override
    public void read(ChannelHandlerContext ctx) throws Exception {
      readsAsked.incrementAndGet();
      super.read(ctx);
    }
  }, decoder);

  private void send(String text) {
    channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
  }

  private static String get(int i) {
    return "GET /r" + i + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }

  /** The request URIs decoded so far (each request's end included), and their bodies' text. */
  private List<String> decoded() {
    List<String> seen = new ArrayList<>();
    for (Object m; (m = channel.readInbound()) != null; ) {
      if (m instanceof HttpRequest r) {
        seen.add(r.uri());
      }
      if (m instanceof HttpContent c && c.content().isReadable()) {
        seen.add("body:" + c.content().toString(StandardCharsets.ISO_8859_1));
      }
      if (m instanceof LastHttpContent) {
        seen.add("end");
      }
      ReferenceCountUtil.release(m);
    }
    return seen;
  }

  private void answer() {
    decoder.answered();
    channel.runPendingTasks();
  }

  @Test
  void decodesTwoRequestsAheadOfTheAnswersAndStopsReading() {
    StringBuilder ten = new StringBuilder();
    for (int i = 1; i <= 10; i++) {
      ten.append(get(i));
    }
    send(ten.toString());
    assertEquals(List.of("/r1", "end", "/r2", "end"), decoded());
    assertFalse(channel.config().isAutoRead(), "reads stop while the rest waits");
    readsAsked.set(0);
    send(get(11)); // a read that decodes nothing: Netty's decoder would ask for one more
    assertEquals(List.of(), decoded());
    assertEquals(0, readsAsked.get(), "no read asked for while stopped");

    answer();
    assertEquals(List.of("/r3", "end"), decoded());
    assertFalse(channel.config().isAutoRead());
    for (int i = 4; i <= 11; i++) {
      answer();
      assertEquals(List.of("/r" + i, "end"), decoded());
    }
    answer();
    assertEquals(List.of(), decoded());
    assertTrue(channel.config().isAutoRead(), "nothing waits: reads go on");
  }

  @Test
  void aRequestsBodyIsDecodedWhateverWaitsBehind() {
    send(get(1) + "POST /r2 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");
    assertEquals(List.of("/r1", "end", "/r2", "body:hello"), decoded());
    send("world" + get(3));
    assertEquals(List.of("body:world", "end"), decoded(), "the body's end comes; the next request waits");
    answer();
    assertEquals(List.of("/r3", "end"), decoded());
  }

  @Test
  void aSingleRequestAtATimeNeverStops() {
    for (int i = 1; i <= 5; i++) {
      send(get(i));
      assertEquals(List.of("/r" + i, "end"), decoded());
      answer();
      assertTrue(channel.config().isAutoRead());
    }
    assertNull(channel.readInbound());
  }
}
