package io.oxllm.http;

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
 * once per period, so nothing runs per chunk; it is cancelled when the body is complete.
 */
final class BodySilence implements Runnable {
  private static final String KEY = "oxllm.bodySilence";
  private static final Handler<BodySilence> CHECK = BodySilence::check;

  private final RoutingContext ctx;
  private final ContextInternal context;
  private final long periodMs;
  private final Consumer<RoutingContext> onStall;
  private long seenBytes;
  private ScheduledFuture<?> task;

  private BodySilence(RoutingContext ctx, ContextInternal context, long periodMs, Consumer<RoutingContext> onStall) {
    this.ctx = ctx;
    this.context = context;
    this.periodMs = periodMs;
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

  private void arm() {
    seenBytes = ctx.request().bytesRead();
    task = context.nettyEventLoop().schedule(this, periodMs, TimeUnit.MILLISECONDS);
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
    if (req.bytesRead() != seenBytes) {
      arm(); // still arriving: another full period of silence is allowed
      return;
    }
    onStall.accept(ctx);
  }
}
