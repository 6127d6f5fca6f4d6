package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.netty.channel.WriteBufferWaterMark;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The client connections' write queue bound, on a real server on port 0. */
@ExtendWith(VertxExtension.class)
class ClientWriteQueueTest {

  @Test
  void aClientConnectionsWriteQueueIsFullAtItsBound(Vertx vertx) throws Exception {
    Promise<HttpConnection> opened = Promise.promise();
    HttpServer server = await(vertx.createHttpServer()
        .connectionHandler(conn -> {
          ClientWriteQueue.bound(conn);
          opened.tryComplete(conn);
        })
        .requestHandler(req -> req.response().end("ok"))
        .listen(0, "127.0.0.1"));
    try {
      var client = vertx.createHttpClient();
      String body = await(client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
          .compose(req -> req.send().compose(resp -> resp.body()))).toString();
      assertEquals("ok", body);
      // if a Vert.x upgrade changes what a server connection is, this fails instead of the bound
      // silently going away
      ConnectionBase connection = assertInstanceOf(ConnectionBase.class, await(opened.future()));
      WriteBufferWaterMark marks = connection.channel().config().getWriteBufferWaterMark();
      assertEquals(ClientWriteQueue.BYTES, marks.high());
      assertEquals(ClientWriteQueue.BYTES / 2, marks.low());
      await(client.close());
    } finally {
      await(server.close());
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
