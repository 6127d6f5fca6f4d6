package io.oxllm.upstream;

import io.netty.util.concurrent.ScheduledFuture;
import io.oxllm.config.Timeouts;
import io.oxllm.routing.Target;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One HTTP attempt against one provider, with the timeouts of SPEC section 2: {@code connect_ms}
 * (pool acquisition and TCP connect), {@code first_byte_ms} (from having a connection until the
 * caller says the first byte or SSE event arrived), {@code idle_ms} (longest silence once the
 * body flows) and {@code total_ms} (hard cap). A timeout or {@link #abort} resets the upstream request, which
 * closes its connection, so an abandoned attempt never keeps a provider busy.
 *
 * <p>Not thread-safe: used only on the event loop of the HTTP verticle that owns it.
 */
public final class UpstreamAttempt {
  // what first_byte_ms waits for once the head came: NO_HEAD yet, a stream's FIRST_EVENT, a held WHOLE_BODY
  private static final byte NO_HEAD = 0;
  private static final byte FIRST_EVENT = 1;
  private static final byte WHOLE_BODY = 2;
  /** How much longer than connect_ms a request waits for a pooled connection: see send(). */
  static final long POOL_WAIT_MARGIN_MS = 250;
  private static final Handler<UpstreamAttempt> DEADLINE_REACHED = UpstreamAttempt::deadlineReached;

  private final ContextInternal context;
  private final Target target;
  private final Timeouts timeouts;
  private final long startNanos = System.nanoTime();
  private HttpClientRequest request;
  private Promise<HttpClientResponse> waiting; // send()'s answer
  private AttemptError abortError;
  // One timer, set for the earliest deadline still pending, rather than one per timeout; when it
  // fires, the attempt checks its deadlines and sets it again for the next one. It is a task on the
  // event loop's own timer heap, not a Vert.x timer: Vert.x enters each of those in a global map and
  // as a close hook of the verticle (a synchronized HashMap), and takes both out again on cancel,
  // all of it per request (~1.5 % of the event loop at 64 connections). The attempt cancels its
  // timer itself when it ends, which is all the close hook would do.
  private final Runnable deadlineTask;
  private ScheduledFuture<?> deadlineTimer;
  private long timerDueNanos;
  private long totalDueNanos;
  private long firstByteDueNanos;
  private boolean firstBytePending;
  private byte afterHead = NO_HEAD; // what first_byte_ms waits for once the head came
  private boolean watchingIdle;
  private long lastActivityNanos;
  private boolean heldByClient;
  private boolean finished;

  /** Call on the event loop of the request the attempt serves: its timer runs on that context. */
  public UpstreamAttempt(Vertx vertx, Target target) {
    this.context = (ContextInternal) vertx.getOrCreateContext();
    this.deadlineTask = () -> context.emit(this, DEADLINE_REACHED);
    this.target = target;
    this.timeouts = target.provider().timeouts();
  }

  /**
   * Sends {@code body} to {@code path} (relative to the provider's base URL, e.g.
   * "/chat/completions"), with the headers {@code headers} writes into the request's own (Vert.x
   * would copy a map given in the options, header by header, validating each again). Completes
   * with the response once its headers arrived; fails with an {@link AttemptFailure} naming what
   * went wrong.
   */
  public Future<HttpClientResponse> send(HttpClient client, String path, Buffer body, Consumer<MultiMap> headers) {
    totalDueNanos = startNanos + timeouts.totalMs() * 1_000_000;
    firstByteDueNanos = startNanos + timeouts.firstByteMs() * 1_000_000;
    firstBytePending = true;
    armDeadline();
    var url = target.provider().baseUrl();
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setHost(url.host())
        .setPort(url.port())
        .setSsl(url.ssl())
        .setURI(url.basePath() + path)
        // time to get a pooled connection, queue wait included. Vert.x times the wait for a new
        // connection's TCP connect with this too, and its message cannot tell that from a wait for
        // a full pool: a host that never answered the SYN read as "no pooled connection free",
        // neutral for its circuit. A little longer than the TCP connect's own timeout (connect_ms,
        // UpstreamClients), so that one fails first as the provider's connect timeout.
        .setConnectTimeout(timeouts.connectMs() + POOL_WAIT_MARGIN_MS);
    Future<HttpClientRequest> asked;
    try {
      asked = client.request(options);
    } catch (RuntimeException e) { // options Vert.x refuses at once: a failed attempt, not a thrown one
      asked = Future.failedFuture(e);
    }
    Promise<HttpClientResponse> answer = Promise.promise();
    waiting = answer; // an abort while no connection is had fails it at once: see abort()
    asked
        .compose(req -> {
          request = req;
          // the upstream is asked only now: a wait for a pooled connection is ours, bounded by
          // connect_ms, and must not eat into the provider's first_byte_ms and fail it. The timer
          // is set for an earlier due (from the start, or from when it last looked while we
          // waited): it finds nothing due then and sets itself for this one.
          firstByteDueNanos = System.nanoTime() + timeouts.firstByteMs() * 1_000_000;
          // failures reach the attempt through send()'s future and the response's handlers; with no
          // handler here Vert.x logs our own reset (the attempt given up) as SEVERE, once per client
          // that left while its attempt waited for a pooled connection
          req.exceptionHandler(err -> { });
          if (abortError != null) {
            req.reset();
            return Future.failedFuture(new AttemptFailure(abortError));
          }
          headers.accept(req.headers());
          // the request went out: the client refusing something now refuses the response's head
          return req.send(body).recover(err -> Future.failedFuture(err instanceof IllegalArgumentException
              ? new AttemptFailure(AttemptError.malformedResponse(err, target.provider())) : err));
        })
        .onComplete(ar -> {
          if (ar.succeeded()) {
            answer.tryComplete(ar.result());
          } else {
            answer.tryFail(AttemptFailure.of(ar.cause(), abortError));
          }
        });
    return answer.future();
  }

  /** A stream's head came: first_byte_ms now waits for its first event, and says so when it fires. */
  public void streamHeadArrived() {
    afterHead = FIRST_EVENT;
  }

  /** The head came of a body held to its end (not SSE, to a stream request): first_byte_ms waits for that end. */
  public void heldBodyHeadArrived() {
    afterHead = WHOLE_BODY;
  }

  /** The first byte (or first SSE event) arrived: the first-byte deadline no longer applies. */
  public void firstByteArrived() {
    firstBytePending = false; // the timer, if set for it, finds nothing due and moves on
  }

  /** Starts watching for silences longer than {@code idle_ms} (again: the clock restarts); call {@link #activity} per chunk. */
  public void watchIdle() {
    lastActivityNanos = System.nanoTime();
    if (!watchingIdle) { // watched already (a body from its head): the timer is due no later
      watchingIdle = true;
      armDeadline();
    }
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

  /** A chunk arrived. Cheap: the timer serves a whole idle period, not one timer per chunk. */
  public void activity() {
    lastActivityNanos = System.nanoTime();
  }

  /** The deadline timer fired: give up if a deadline passed, else wait for the next one. */
  private void deadlineReached() {
    deadlineTimer = null;
    if (finished) {
      return; // cancelled too late: the attempt is over
    }
    long now = System.nanoTime();
    if (now - totalDueNanos >= 0) {
      abort(AttemptError.totalTimeout(timeouts.totalMs()));
    } else if (firstBytePending && now - firstByteDueNanos >= 0) {
      if (request == null) {
        // still waiting for a pooled connection (ours, bounded by connect_ms): the first byte can
        // be due first_byte_ms after it is had at the earliest; send() sets the real due then
        firstByteDueNanos = now + timeouts.firstByteMs() * 1_000_000;
        armDeadline();
      } else {
        long ms = timeouts.firstByteMs();
        abort(afterHead == FIRST_EVENT ? AttemptError.firstEventTimeout(ms)
            : afterHead == WHOLE_BODY ? AttemptError.wholeBodyTimeout(ms) : AttemptError.firstByteTimeout(ms));
      }
    } else if (watchingIdle && !heldByClient && now - idleDueNanos(now) >= 0) {
      abort(AttemptError.idleTimeout(timeouts.idleMs()));
    } else {
      armDeadline();
    }
  }

  /**
   * When silence becomes an idle timeout. While a slow client holds the upstream paused the
   * silence is not the provider's; the deadline is then a full period on, to look again.
   */
  private long idleDueNanos(long now) {
    return (heldByClient ? now : lastActivityNanos) + timeouts.idleMs() * 1_000_000;
  }

  /** Sets the timer for the earliest pending deadline, unless it is already set no later. */
  private void armDeadline() {
    if (finished) {
      return;
    }
    long now = System.nanoTime();
    long due = totalDueNanos; // nanoTime values are compared by their difference (they may wrap)
    if (firstBytePending && firstByteDueNanos - due < 0) {
      due = firstByteDueNanos;
    }
    if (watchingIdle) {
      long idleDue = idleDueNanos(now);
      if (idleDue - due < 0) {
        due = idleDue;
      }
    }
    if (deadlineTimer != null) {
      if (timerDueNanos - due <= 0) {
        return; // it fires first and looks again then
      }
      deadlineTimer.cancel(false);
    }
    timerDueNanos = due;
    deadlineTimer = context.nettyEventLoop().schedule(deadlineTask, Math.max(0, due - now), TimeUnit.NANOSECONDS);
  }

  /**
   * Gives up on this attempt: resets the upstream request (closing its connection), or, with no
   * connection had yet (a TCP connect or TLS handshake running, total_ms below connect_ms), fails
   * the attempt now rather than when one comes; the connection, if it still comes, is reset then.
   * A wait for our own full pool ends sooner, at connect_ms + {@value #POOL_WAIT_MARGIN_MS} ms.
   */
  public void abort(AttemptError reason) {
    if (abortError == null) {
      abortError = reason;
    }
    if (request != null) {
      request.reset();
    } else if (waiting != null) {
      waiting.tryFail(new AttemptFailure(abortError));
    }
    finish();
  }

  /**
   * Gives up on this attempt and closes its connection even if its exchange looks complete: after
   * an answer that is not one (an interim status), what comes next on that connection is not for
   * the request pooling would give it to.
   */
  public void abandonConnection(AttemptError reason) {
    abort(reason);
    if (request != null) {
      request.connection().close();
    }
  }

  /** Why the attempt was aborted (a timeout, or the client leaving), or null. */
  public AttemptError abortError() {
    return abortError;
  }

  /** The attempt is over: stops its timers. */
  public void finish() {
    finished = true;
    if (deadlineTimer != null) {
      deadlineTimer.cancel(false);
      deadlineTimer = null;
    }
  }

  public Target target() {
    return target;
  }

  /** Milliseconds since the attempt started. */
  public long elapsedMs() {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
