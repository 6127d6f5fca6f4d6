package io.oxllm.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.oxllm.config.ProviderConfig;
import io.oxllm.config.ProviderType;
import io.oxllm.config.Timeouts;
import io.oxllm.config.UpstreamUrl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The upstream pools' read bounds (UpstreamReads), against a real upstream on port 0. */
@ExtendWith(VertxExtension.class)
class UpstreamClientsTest {
  private static final int BODY = 64 * 1024;

  private HttpServer upstream;
  private UpstreamClients clients;
  private ProviderConfig provider;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    Buffer body = Buffer.buffer(new byte[BODY]);
    for (int i = 0; i < BODY; i++) {
      body.setByte(i, (byte) ('a' + i % 26));
    }
    // the whole body in one write, as one HTTP chunk: the client, not the upstream, makes the pieces
    upstream = await(vertx.createHttpServer()
        .requestHandler(req -> req.response().setChunked(true).end(body))
        .listen(0, "127.0.0.1"));
    provider = new ProviderConfig("p", ProviderType.OPENAI,
        UpstreamUrl.parse("http://127.0.0.1:" + upstream.actualPort() + "/v1"), "", List.of("m"), true,
        Map.of(), 4, new Timeouts(2000, 5000, 5000, 10000), null);
    clients = new UpstreamClients(vertx, 1);
  }

  @AfterEach
  void stop() throws Exception {
    clients.closeAll();
    await(upstream.close());
  }

  /** The bound UpstreamReads states counts messages of at most MAX_CHUNK bytes: they must be. */
  @Test
  void aBodyArrivesInPiecesOfAtMostMaxChunkBytes() throws Exception {
    List<Integer> sizes = new ArrayList<>();
    Buffer got = Buffer.buffer();
    await(get(req -> req.send().compose(resp -> {
      resp.handler(chunk -> {
        sizes.add(chunk.length());
        got.appendBuffer(chunk);
      });
      return resp.end();
    })));
    assertEquals(BODY, got.length());
    for (int i = 0; i < BODY; i++) {
      assertEquals((byte) ('a' + i % 26), got.getByte(i), "byte " + i);
    }
    assertTrue(sizes.stream().allMatch(s -> s <= UpstreamReads.MAX_CHUNK), "piece sizes " + sizes);
    assertTrue(sizes.size() >= BODY / UpstreamReads.MAX_CHUNK, "pieces " + sizes.size());
  }

  @Test
  void anUpstreamConnectionReadsOneBufferOfAtMostMaxChunkPerReadinessEvent() throws Exception {
    AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
    await(get(req -> {
      sent.set(req);
      return req.send().compose(HttpClientResponse::body);
    }));
    HttpClientRequest req = sent.get();
    // if a Vert.x upgrade changes what a client connection is, this fails instead of the bound
    // silently going away
    ConnectionBase connection = assertInstanceOf(ConnectionBase.class, req.connection());
    MaxMessagesRecvByteBufAllocator allocator = assertInstanceOf(MaxMessagesRecvByteBufAllocator.class,
        connection.channel().config().getRecvByteBufAllocator());
    assertEquals(UpstreamReads.READS_PER_EVENT, allocator.maxMessagesPerRead());
    // reads that fill every buffer make Netty's adaptive sizing grow it: to MAX_CHUNK and no further
    RecvByteBufAllocator.Handle reads = allocator.newHandle();
    for (int i = 0; i < 50; i++) {
      reads.reset(connection.channel().config());
      reads.attemptedBytesRead(reads.guess());
      reads.lastBytesRead(reads.guess());
      reads.readComplete();
    }
    assertEquals(UpstreamReads.MAX_CHUNK, reads.guess(), "the read buffer after full reads");
  }

  /**
   * A GET of the big body, {@code exchange} run on the connection's event loop as the gateway runs
   * it: sent from the test thread, the response could arrive, and its body end, before the test's
   * handler was set (one run in ~50 failed so).
   */
  private <T> Future<T> get(Function<HttpClientRequest, Future<T>> exchange) {
    return clients.client(provider).request(HttpMethod.GET, upstream.actualPort(), "127.0.0.1", "/v1/big")
        .compose(exchange);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
