package io.oxllm.http;

import io.oxllm.telemetry.Telemetry;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A request body that stops arriving: after {@code server.body_timeout_secs} without a byte of
 * it, {@code onStall} answers (408, ApiRouter) instead of the connection being held for ever, and
 * a graceful stop for its whole grace period. vertx-web's BodyHandler has no read timeout, and a
 * connection-wide read-idle timeout would also cut a client that is silent because it waits on a
 * long answer. One task on the connection's event loop compares {@link HttpServerRequest#bytesRead}
 * eight times a period, so nothing runs per chunk and a silence is seen within an eighth of the
 * period of its length (checked once a period, a stall after one byte of progress took almost
 * two); the task is cancelled when the body is complete, before its first check for most bodies.
 */
final class BodySilence implements Runnable {
  private static final String KEY = "oxllm.bodySilence";
  private static final Handler<BodySilence> CHECK = BodySilence::check;

  private final RoutingContext ctx;
  private final ContextInternal context;
  private final long silenceNanos;
  private final long startEpochNanos = Telemetry.epochNanos();
  private final Consumer<RoutingContext> onStall;
  private long seenBytes;
  private long lastProgressNanos = System.nanoTime();
  private ScheduledFuture<?> task;

  private BodySilence(RoutingContext ctx, ContextInternal context, long silenceMs, Consumer<RoutingContext> onStall) {
    this.ctx = ctx;
    this.context = context;
    this.silenceNanos = silenceMs * 1_000_000;
    this.onStall = onStall;
  }

  /**
   * Starts watching {@code ctx}'s body, unless it has all arrived or {@code secs} is 0.
   *
   * @param context the event-loop context of the verticle that serves {@code ctx}
   */
  static void watch(RoutingContext ctx, ContextInternal context, long secs, Consumer<RoutingContext> onStall) {
    if (secs > 0 && !ctx.request().isEnded()) {
      BodySilence w = new BodySilence(ctx, context, secs * 1000, onStall);
      ctx.put(KEY, w);
      w.arm();
    }
  }

  /** The body is complete, or the request was answered: stop watching. */
  static void done(RoutingContext ctx) {
    BodySilence w = ctx.get(KEY);
    if (w != null && w.task != null) {
      w.task.cancel(false);
      w.task = null;
    }
  }

  /** When the request arrived (as far as the watch knows: when it began), for its record. */
  static long startEpochNanos(RoutingContext ctx) {
    BodySilence w = ctx.get(KEY);
    return w != null ? w.startEpochNanos : Telemetry.epochNanos();
  }

  private void arm() {
    seenBytes = ctx.request().bytesRead();
    task = context.nettyEventLoop().schedule(this, silenceNanos / 8, TimeUnit.NANOSECONDS);
  }

  @Override
  public void run() {
    context.emit(this, CHECK); // on the request's context, as Vert.x's own timers are
  }

  private void check() {
    if (task == null) {
      return; // cancelled meanwhile
    }
    task = null;
    HttpServerRequest req = ctx.request();
    if (req.isEnded() || ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    long now = System.nanoTime();
    if (req.bytesRead() != seenBytes) {
      lastProgressNanos = now; // seen now; it came at most an eighth of the period ago
    } else if (now - lastProgressNanos >= silenceNanos) {
      onStall.accept(ctx);
      return;
    }
    arm();
  }
}
