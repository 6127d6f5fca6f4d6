package io.oxllm.http;

import io.netty.channel.WriteBufferWaterMark;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * How much the gateway queues for a client whose socket is full before {@link ResponseRelay}
 * pauses the upstream: {@value #BYTES} bytes, not Netty's 64 KB. The client's socket buffer
 * (megabytes on Linux) holds the rest; a client that keeps up never fills it. It belongs to the
 * connection, so it is set once, when the connection opens, rather than on every response.
 *
 * <p>What {@code HttpServerResponse.setWriteQueueMaxSize} does, reached the way
 * {@code upstream.UpstreamReads} reaches an upstream connection's channel (the server speaks only
 * HTTP/1.1, whose connections are Vert.x's {@code ConnectionBase}).
 */
final class ClientWriteQueue {
  static final int BYTES = 16 * 1024;
  private static final WriteBufferWaterMark MARKS = new WriteBufferWaterMark(BYTES / 2, BYTES);

  private ClientWriteQueue() {}

  /** The server's connection handler: this connection's write queue is full at {@value #BYTES} bytes. */
  static void bound(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      base.channel().config().setWriteBufferWaterMark(MARKS);
    }
  }
}
