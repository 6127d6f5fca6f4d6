package io.oxllm.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.ShutdownEvent;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP verticle's client connections, held open through a graceful stop so that SPEC section
 * 8 holds: a new request on an open keep-alive connection gets 503 {@code shutting_down} (with
 * {@code Connection: close}), not a closed socket. Vert.x's {@code HttpServer.shutdown} unbinds the
 * port and, in the same step, sends every connection a shutdown event: an idle one closes at once,
 * a busy one after its response, and requests arriving meanwhile are dropped unread. A handler at
 * the head of each connection's pipeline keeps that event from the connection; the verticle
 * {@link #release}s the connections itself once no exchange runs on any instance
 * ({@code GatewayState.anyInstanceBusy}) or the grace period is over. Event-loop confined, like
 * the verticle.
 */
final class HeldConnections {
  private static final ChannelHandler HOLD = new HoldShutdown();
  private final Set<HttpConnection> open = new HashSet<>();

  /** The server's connection handler: holds {@code connection} until {@link #release}. */
  void add(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      base.channel().pipeline().addFirst(HOLD);
    }
    open.add(connection);
    connection.closeHandler(v -> open.remove(connection));
  }

  /**
   * Shuts every held connection down the Vert.x way, which the held event would have done: an
   * idle one closes now, one with a response in progress after it (at most {@code graceMs} on).
   */
  void release(long graceMs) {
    for (HttpConnection c : List.copyOf(open)) {
      c.shutdown(Math.max(1, graceMs), TimeUnit.MILLISECONDS);
    }
  }

  /** Netty skips it for every event but user events: it adds no step to reads or writes. */
  @ChannelHandler.Sharable
  private static final class HoldShutdown extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof ShutdownEvent s && s.timeout() > 0) {
        return; // the server's graceful stop: the verticle releases the connection itself
      }
      super.userEventTriggered(ctx, evt);
    }
  }
}
