package io.oxllm.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.EpollSocketChannel;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.ShutdownEvent;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP verticle's client connections, for two things the server's own options cannot do.
 * Event-loop confined, like the verticle.
 *
 * <p><b>Held through a graceful stop</b>, so that SPEC section 8 holds: a new request on an open
 * keep-alive connection gets 503 {@code shutting_down} (with {@code Connection: close}), not a
 * closed socket. Vert.x's {@code HttpServer.shutdown} unbinds the port and, in the same step, sends
 * every connection a shutdown event: an idle one closes at once, a busy one after its response, and
 * requests arriving meanwhile are dropped unread. A handler at the head of each connection's
 * pipeline keeps that event from the connection; the verticle {@link #release}s the connections
 * itself once no exchange runs on any instance ({@code GatewayState.anyInstanceBusy}) or the grace
 * period is over.
 *
 * <p><b>Closed when idle</b> ({@code server.idle_timeout_secs}): a connection with no exchange
 * running (none yet, or its last one answered, and its client reading none of the answer bytes
 * that wait for it) for that long is closed, whether or not a next request's head is trickling
 * in; otherwise idle and slow-header connections were held for ever, bounded only by the file
 * limit. Vert.x's idle timeout is a read or write silence, which would also cut a client waiting
 * silently on a long answer, and is not broken by a head sent a byte at a time. The cost on the request path is one map lookup a request ({@link #requestArrived})
 * and a handler told of the answer's end; the verticle runs {@link #closeIdle} once a second.
 */
final class ClientConnections {
  /** How often the verticle calls {@link #closeIdle}. */
  static final long SWEEP_MS = 1000;
  /** A sweep later than this past its second follows a stall of the event loop. */
  static final long STALL_MARGIN_MS = 500;
  private static final ChannelHandler HOLD = new HoldShutdown();
  private final Map<HttpConnection, ConnectionUse> open = new HashMap<>();
  private final BodyBudget budget;
  // a first sweep late past its second (the process stopped before it) is a stall too
  private long lastSweepNanos = System.nanoTime();
  private long closeNoneUntilNanos = lastSweepNanos; // after a stall of the event loop, see closeIdle

  /** @param budget the request bodies held, all instances together ({@link #holdBody}) */
  ClientConnections(BodyBudget budget) {
    this.budget = budget;
  }

  /**
   * The server's connection handler: holds {@code connection} until {@link #release}, and tells
   * its {@code decoder} (null: none of ours) of each answer's end.
   */
  void add(HttpConnection connection, FramingDecoder decoder) {
    if (connection instanceof ConnectionBase base) {
      base.channel().pipeline().addFirst(HOLD);
    }
    open.put(connection, new ConnectionUse(connection, decoder));
    connection.closeHandler(v -> {
      ConnectionUse use = open.remove(connection);
      if (use != null && use.heldBodies != null) {
        use.heldBodies.forEach(BodyHold::release); // answered or not, nothing will read them now
      }
    });
  }

  /**
   * A request's head has arrived: its connection is busy until the answer ends. If {@code last}
   * (the gateway is draining: the connection was held open through the stop for this answer), the
   * answer says {@code Connection: close} and the connection closes when it has ended. (Vert.x
   * hands a connection's next request over only as the answer before it ends. vertx-web sets the
   * body-end handler only for {@code addBodyEndHandler}, which the gateway does not use.)
   */
  void requestArrived(HttpServerRequest req, boolean last) {
    ConnectionUse use = open.get(req.connection());
    if (use != null) {
      use.started++;
      if (last && use.lastAnswer == 0) {
        use.lastAnswer = use.started;
        req.response().putHeader(HttpHeaders.CONNECTION, "close");
      }
      use.waiting = false;
      if (req.version() == HttpVersion.HTTP_1_0) { // rare: keeping the answer costs no one else
        (use.oldAnswers == null ? use.oldAnswers = new ArrayDeque<>(2) : use.oldAnswers).add(req.response());
      }
      req.response().bodyEndHandler(use);
    }
  }

  /**
   * Counts the body of {@code req}, the request now being handled on its connection, as
   * {@code bytes} in the budget until its answer ends or the connection closes; null when that
   * would pass {@code limit} (the request is refused unread). A connection already closed holds
   * nothing.
   */
  BodyHold holdBody(HttpServerRequest req, long bytes, long limit) {
    ConnectionUse use = open.get(req.connection());
    if (use == null) {
      return new BodyHold(budget, req.response(), 0);
    }
    // Vert.x starts a pipelined request as the answer before it ends, and tells of that end only
    // after: that answer's body is given back now, or the two would count together
    use.releaseEndedBodies();
    if (!budget.tryHold(bytes, limit)) {
      return null;
    }
    BodyHold hold = new BodyHold(budget, req.response(), bytes);
    if (use.heldBodies == null) {
      use.heldBodies = new ArrayDeque<>(2);
    }
    use.heldBodies.add(hold);
    return hold;
  }

  /**
   * A request arrived while the answers before it on its connection are not read yet: it waits
   * for them, and the connection stays idle meanwhile.
   */
  void requestWaits(HttpServerRequest req) {
    ConnectionUse use = open.get(req.connection());
    if (use != null) {
      use.waiting = true;
    }
  }

  /**
   * Closes the connections that have had no exchange running for {@code idleSecs}; none when it is 0.
   * A running exchange is bounded by its own timeouts (the body's, the upstream's), not by this.
   */
  void closeIdle(long idleSecs) {
    if (idleSecs <= 0) {
      return;
    }
    long now = System.nanoTime();
    // since the last sweep: a second, or longer if the event loop was held up (a long GC pause)
    long sinceLastSweepMs = (now - lastSweepNanos) / 1_000_000;
    lastSweepNanos = now;
    long idleSince = now - TimeUnit.SECONDS.toNanos(idleSecs);
    List<HttpConnection> idle = new ArrayList<>();
    List<HttpConnection> unread = new ArrayList<>();
    for (Map.Entry<HttpConnection, ConnectionUse> e : open.entrySet()) {
      ConnectionUse use = e.getValue();
      // answers wait for the client: a request held behind them, or an ended answer not yet sent
      boolean answersWait = use.waiting || (!use.busy() && answersUnsent(e.getKey()));
      if (answersWait && clientReads(e.getKey(), use, sinceLastSweepMs)) {
        use.idleSinceNanos = now; // they are going out, however slowly
      }
      if (!use.busy() && use.idleSinceNanos - idleSince <= 0) {
        (answersWait ? unread : idle).add(e.getKey());
      }
    }
    if (sinceLastSweepMs > SWEEP_MS + STALL_MARGIN_MS) {
      // the event loop was held up (a stopped process, a starved CPU): requests that came meanwhile
      // wait unread in the sockets, and this task, with the periodic timer's runs missed
      // meanwhile, runs before they are read; closing then reset connections with a request in
      // them (a stall of 5 s: 27 of 30). A sweep a period on decides.
      closeNoneUntilNanos = now + TimeUnit.MILLISECONDS.toNanos(SWEEP_MS);
    }
    if (now - closeNoneUntilNanos < 0) {
      return;
    }
    idle.forEach(HttpConnection::close); // Vert.x flushes what was written before it closes
    unread.forEach(ClientConnections::closeNow);
  }

  /**
   * Whether answer bytes wait in the gateway for the connection's client: in Netty's buffer, or
   * in Vert.x's queue past it (the channel not writable). An answer written whole (the echo's, an
   * error) ends at once, and without this a client that never read it held its connection, and
   * the answer's count in the body budget, for ever: Vert.x's close waits for the flush.
   */
  private static boolean answersUnsent(HttpConnection connection) {
    if (!(connection instanceof ConnectionBase base) || !base.channel().isOpen()) {
      return false;
    }
    Channel channel = base.channel();
    ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
    return !channel.isWritable() || (buffer != null && buffer.totalPendingWriteBytes() > 0);
  }

  /**
   * Whether the client of a connection with answers waiting read anything since the last
   * sweep ({@code sinceMs} ago): the kernel sent it data within that time (epoll's TCP_INFO; a client
   * that reads nothing keeps its window shut, and a window probe carries no data), or, on
   * another transport, fewer answer bytes wait unsent in Netty than at the last sweep (coarser:
   * the kernel takes more only once a good part of its send buffer is free).
   */
  private static boolean clientReads(HttpConnection connection, ConnectionUse use, long sinceMs) {
    if (!(connection instanceof ConnectionBase base)) {
      return true; // cannot tell: never closed for not reading
    }
    Channel channel = base.channel();
    if (!channel.isOpen()) {
      return true; // closed already (a reset, say), its close handler not run yet: nothing to do
    }
    if (channel instanceof EpollSocketChannel epoll) { // open: only this event loop closes it
      return epoll.tcpInfo().lastDataSent() <= sinceMs + 100;
    }
    ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
    // a buffer the kernel took part of still counts whole in the pending bytes: its progress says
    // how much went (one large answer is one buffer, and read slowly it stayed "unsent" for seconds)
    long unsent = buffer == null ? 0 : buffer.totalPendingWriteBytes() - buffer.currentProgress();
    boolean moved = unsent != use.unsent;
    use.unsent = unsent;
    return moved;
  }

  /**
   * A connection whose client has read none of the answers waiting for it for a whole idle period
   * (a request pipelined behind them, or none): Vert.x closes a connection only once what was
   * written has been flushed, which that client never lets happen, so the unsent answers are
   * dropped and the socket closed at once. The close starts at the head of the pipeline, past
   * Vert.x's handler, which would turn it into its flush-then-close; Vert.x still hears the
   * channel go inactive. (A client that reads, however slowly, is not idle: its answer goes out.)
   */
  private static void closeNow(HttpConnection connection) {
    ChannelHandlerContext head =
        connection instanceof ConnectionBase base ? base.channel().pipeline().context(HOLD) : null;
    if (head != null) {
      head.close();
    } else {
      connection.close();
    }
  }

  /**
   * Shuts every held connection down the Vert.x way, which the held event would have done: an
   * idle one closes now, one with a response in progress after it (at most {@code graceMs} on).
   */
  void release(long graceMs) {
    for (HttpConnection c : List.copyOf(open.keySet())) {
      c.shutdown(Math.max(1, graceMs), TimeUnit.MILLISECONDS);
    }
  }

  /** Netty skips it for every event but user events and errors: it adds no step to reads or writes. */
  @ChannelHandler.Sharable
  private static final class HoldShutdown extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof ShutdownEvent s && s.timeout() > 0) {
        return; // the server's graceful stop: the verticle releases the connection itself
      }
      super.userEventTriggered(ctx, evt);
    }

    /**
     * A transport error (at the head, only those reach it: a client's reset, mostly) closes the
     * connection as the client's own close would; Vert.x then fails the answer in progress as
     * closed. Passed on, it reaches Vert.x 5.0.8's error path, which throws (and Netty logs a
     * WARNING) when a pipelined request waits behind that answer.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
      if (cause instanceof IOException) {
        ctx.close();
        return;
      }
      super.exceptionCaught(ctx, cause);
    }
  }
}
