package io.oxllm.http;

/**
 * One request's body as counted in the {@link BodyBudget}: from its head until its answer ends or
 * its connection closes ({@link ClientConnections}, which sees both for every request), so no path
 * through the router can keep it counted. Confined to the connection's event loop.
 */
final class BodyHold {
  /** The request's number on its connection, as {@link ClientConnections} counts them. */
  final long request;
  private final BodyBudget budget;
  private long bytes;
  private boolean released;

  BodyHold(BodyBudget budget, long request, long bytes) {
    this.budget = budget;
    this.request = request;
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
