package io.oxllm.upstream;

import io.oxllm.config.Timeouts;
import io.oxllm.routing.Target;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * One HTTP attempt against one provider, with the timeouts of SPEC section 2: {@code connect_ms}
 * (pool acquisition and TCP connect), {@code first_byte_ms} (until the caller says the first byte
 * or SSE event arrived), {@code idle_ms} (longest silence once the body flows) and
 * {@code total_ms} (hard cap). A timeout or {@link #abort} resets the upstream request, which
 * closes its connection, so an abandoned attempt never keeps a provider busy.
 *
 * <p>Not thread-safe: used only on the event loop of the HTTP verticle that owns it.
 */
public final class UpstreamAttempt {
  private final Vertx vertx;
  private final Target target;
  private final Timeouts timeouts;
  private final long startNanos = System.nanoTime();
  private HttpClientRequest request;
  private String abortReason;
  private long totalTimer = -1;
  private long firstByteTimer = -1;
  private long idleTimer = -1;
  private long lastActivityNanos;
  private boolean heldByClient;
  private boolean finished;

  public UpstreamAttempt(Vertx vertx, Target target) {
    this.vertx = vertx;
    this.target = target;
    this.timeouts = target.provider().timeouts();
  }

  /**
   * Sends {@code body} to {@code path} (relative to the provider's base URL, e.g.
   * "/chat/completions"). Completes with the response once its headers arrived; fails with an
   * {@link AttemptFailure} naming what went wrong.
   */
  public Future<HttpClientResponse> send(HttpClient client, String path, Buffer body, MultiMap headers) {
    totalTimer = vertx.setTimer(timeouts.totalMs(), id -> {
      totalTimer = -1;
      abort("total timeout after " + timeouts.totalMs() + " ms");
    });
    firstByteTimer = vertx.setTimer(timeouts.firstByteMs(), id -> {
      firstByteTimer = -1;
      abort("no first byte within " + timeouts.firstByteMs() + " ms");
    });
    var url = target.provider().baseUrl();
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setHost(url.host())
        .setPort(url.port())
        .setSsl(url.ssl())
        .setURI(url.basePath() + path)
        .setHeaders(headers)
        // time to get a pooled connection, queue wait included
        .setConnectTimeout(timeouts.connectMs());
    return client.request(options)
        .compose(req -> {
          request = req;
          // failures reach the attempt through send()'s future and the response's handlers; with no
          // handler here Vert.x logs our own reset (the attempt given up) as SEVERE, once per client
          // that left while its attempt waited for a pooled connection
          req.exceptionHandler(err -> { });
          if (abortReason != null) {
            req.reset();
            return Future.failedFuture(new AttemptFailure(abortReason));
          }
          return req.send(body);
        })
        .recover(err -> Future.failedFuture(AttemptFailure.of(err, abortReason)));
  }

  /** The first byte (or first SSE event) arrived: the first-byte deadline no longer applies. */
  public void firstByteArrived() {
    cancel(firstByteTimer);
    firstByteTimer = -1;
  }

  /** Starts watching for silences longer than {@code idle_ms}; call {@link #activity} per chunk. */
  public void watchIdle() {
    lastActivityNanos = System.nanoTime();
    scheduleIdleCheck(timeouts.idleMs());
  }

  /**
   * The relay paused the upstream because the client is slower than it: silence from now on is
   * ours, not the provider's, so it must not count as idle.
   */
  public void backpressureHeld() {
    heldByClient = true;
  }

  /** The client caught up and the upstream is read again: the idle clock restarts now. */
  public void backpressureReleased() {
    heldByClient = false;
    lastActivityNanos = System.nanoTime();
  }

  /** A chunk arrived. Cheap: one timer serves a whole idle period, not one timer per chunk. */
  public void activity() {
    lastActivityNanos = System.nanoTime();
  }

  private void scheduleIdleCheck(long delayMs) {
    idleTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
      idleTimer = -1;
      if (finished) {
        return;
      }
      long silentMs = (System.nanoTime() - lastActivityNanos) / 1_000_000;
      if (heldByClient) {
        scheduleIdleCheck(timeouts.idleMs());  // a slow client is not an idle provider
      } else if (silentMs >= timeouts.idleMs()) {
        abort("no data for " + timeouts.idleMs() + " ms (idle timeout)");
      } else {
        scheduleIdleCheck(timeouts.idleMs() - silentMs);
      }
    });
  }

  /** Gives up on this attempt: resets the upstream request (closing its connection). */
  public void abort(String reason) {
    if (abortReason == null) {
      abortReason = reason;
    }
    if (request != null) {
      request.reset();
    }
    finish();
  }

  /** Why the attempt was aborted (a timeout, or the client leaving), or null. */
  public String abortReason() {
    return abortReason;
  }

  /** The attempt is over: stops its timers. */
  public void finish() {
    finished = true;
    cancel(totalTimer);
    cancel(firstByteTimer);
    cancel(idleTimer);
    totalTimer = firstByteTimer = idleTimer = -1;
  }

  public Target target() {
    return target;
  }

  /** Milliseconds since the attempt started. */
  public long elapsedMs() {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  private void cancel(long timer) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
