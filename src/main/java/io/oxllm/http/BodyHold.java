package io.oxllm.http;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;

/**
 * One request's body as counted in the {@link BodyBudget}: from its head until its answer ends or
 * its connection closes ({@link ClientConnections}, which sees both for every request), so no path
 * through the router can keep it counted; or, sooner, until a proxied response commits
 * ({@link ProxyExchange#committed}), when the exchange lets the bytes go too, so a long stream does
 * not hold its body. Confined to the connection's event loop.
 */
final class BodyHold {
  /** Its request's answer: once that has ended, the body is no longer needed. Null once not needed. */
  private HttpServerResponse answer;
  private final BodyBudget budget;
  private long bytes;
  private boolean released;
  private boolean untilSent; // counted past the answer's end, until its bytes have gone (releaseWhenSent)

  BodyHold(BodyBudget budget, HttpServerResponse answer, long bytes) {
    this.budget = budget;
    this.answer = answer;
    this.bytes = bytes;
  }

  /** The body has all come: count what it is, not what it might have been (a chunked body). */
  void resize(long actual) {
    if (!released && actual < bytes) {
      budget.release(bytes - actual);
      bytes = actual;
    }
  }

  /** Whether its request's answer has ended. */
  boolean answerEnded() {
    return answer == null || answer.ended();
  }

  /**
   * An answer the gateway writes whole (the echo's) takes the body's place in the count, kept past
   * the answer's end until {@link #releaseWhenSent}; false, with the count as it was, when that
   * would pass {@code limit}. A hold already given back (the connection closed) has nothing to count.
   */
  boolean becomeAnswer(long answerBytes, long limit) {
    if (released) {
      return true;
    }
    long more = answerBytes - bytes;
    if (more > 0 && !budget.tryGrow(bytes, more, limit)) {
      return false;
    }
    if (more < 0) {
      budget.release(-more);
    }
    bytes = answerBytes;
    untilSent = true; // the answer ends as it is written, before its future is at hand
    return true;
  }

  /**
   * Gives the count back once {@code sent} completes, not as the answer ends: an answer written
   * whole ends at once, and stays in memory for as long as its client does not read it. The future
   * of the last write completes when it has gone to the kernel, and fails when the connection
   * closes, so the count always comes back. The response is let go now: kept reachable from here,
   * it kept the request and its body too.
   */
  void releaseWhenSent(Future<?> sent) {
    answer = null;
    sent.onComplete(ar -> {
      untilSent = false;
      release();
    });
  }

  void release() {
    if (!released && !untilSent) {
      released = true;
      budget.release(bytes);
    }
  }
}
