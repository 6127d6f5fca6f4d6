package io.oxllm.telemetry;

import io.netty.channel.EventLoopGroup;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.VertxThreadFactory;
import io.vertx.core.spi.transport.Transport;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Telemetry's own event loop, one thread named {@value #THREAD}, from the worker's start to its
 * stop: it times the worker's drains and carries the OTLP exports' I/O ({@link OtlpHttpSender}).
 *
 * <p>Why not one of Vert.x's event loops: {@code Main} sizes that pool to the HTTP instances, so
 * each is a request path's. The exports' I/O (~20 MB/s of spans at the bench's 64 connections)
 * took that loop's own time (docs/architecture.md has the A/B), and a worker's timer is a task on
 * its context's event loop, so each drain began with a task on a request loop. With this loop,
 * what telemetry puts on a request loop is the record it offers and, with an OTLP endpoint, a
 * provider-state query to the routing verticle once a second.
 */
final class TelemetryLoop {
  static final String THREAD = "oxllm-telemetry-io";

  private final EventLoopGroup group;
  private final ContextInternal context;

  TelemetryLoop(Vertx vertx) {
    VertxInternal internal = (VertxInternal) vertx;
    // the transport's own kind of loop (epoll where the gateway uses it), for its kind of channels;
    // 50: the I/O ratio Vert.x passes for its own loops (its transports ignore it)
    this.group = internal.transport().eventLoopGroup(Transport.IO_EVENT_LOOP_GROUP, 1, TelemetryLoop::thread, 50);
    this.context = internal.contextBuilder().withEventLoop(group.next()).build();
  }

  private static Thread thread(Runnable r) {
    Thread t = VertxThreadFactory.INSTANCE.newVertxThread(r, THREAD, false, 2, TimeUnit.SECONDS);
    t.setDaemon(true); // never what keeps the JVM up
    return t;
  }

  /** An event-loop context on this loop: what runs on it runs on {@value #THREAD}. */
  ContextInternal context() {
    return context;
  }

  /** Runs {@code task} on this loop after {@code delayMs}; cancel through the returned future. */
  ScheduledFuture<?> schedule(Runnable task, long delayMs) {
    return context.nettyEventLoop().schedule(task, delayMs, TimeUnit.MILLISECONDS);
  }

  /**
   * Runs {@code task} on this loop after {@code delayMs} and every {@code periodMs} from then on;
   * cancel through the returned future.
   */
  ScheduledFuture<?> every(Runnable task, long delayMs, long periodMs) {
    return context.nettyEventLoop().scheduleAtFixedRate(task, delayMs, periodMs, TimeUnit.MILLISECONDS);
  }

  /**
   * Ends the thread once what is queued on it has run. The future completes when it has, on a
   * thread of Netty's: not on a context of the caller's, which may be this loop's own.
   */
  Future<Void> shutdown() {
    Promise<Void> ended = Promise.promise();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).addListener(f -> ended.complete());
    return ended.future();
  }
}
