package io.oxllm.http;

import io.vertx.core.http.HttpServerResponse;

/**
 * One request's body as counted in the {@link BodyBudget}: from its head until its answer ends or
 * its connection closes ({@link ClientConnections}, which sees both for every request), so no path
 * through the router can keep it counted; or, sooner, until a proxied response commits
 * ({@link ProxyExchange#committed}), when the exchange lets the bytes go too, so a long stream does
 * not hold its body. Confined to the connection's event loop.
 */
final class BodyHold {
  /** Its request's answer: once that has ended, the body is no longer needed. */
  final HttpServerResponse answer;
  private final BodyBudget budget;
  private long bytes;
  private boolean released;

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

  void release() {
    if (!released) {
      released = true;
      budget.release(bytes);
    }
  }
}
