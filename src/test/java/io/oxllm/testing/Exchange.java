package io.oxllm.testing;

import io.netty.channel.ChannelOption;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One request being answered by a {@link Behaviour}. All methods must be called on the upstream's
 * event loop (inside {@link Behaviour#handle} or a timer it scheduled through this class); timers
 * scheduled here are cancelled as soon as the connection closes, so a behaviour never writes to a
 * dead connection.
 */
public final class Exchange {
  private final Vertx vertx;
  private final HttpServerRequest request;
  private final Set<Long> timers = new HashSet<>(); // event-loop confined
  private TestUpstream.Received received;
  private boolean closed;
  private boolean serverClosed;

  Exchange(Vertx vertx, HttpServerRequest request) {
    this.vertx = vertx;
    this.request = request;
  }

  public Vertx vertx() {
    return vertx;
  }

  public HttpServerRequest request() {
    return request;
  }

  public HttpServerResponse response() {
    return request.response();
  }

  /** The recorded request, including its full body. */
  public TestUpstream.Received received() {
    return received;
  }

  void received(TestUpstream.Received r) {
    this.received = r;
  }

  /** True once the connection is gone, whoever closed it. */
  public boolean closed() {
    return closed;
  }

  /** True if this exchange closed the connection itself (then it is not a client close). */
  boolean serverClosed() {
    return serverClosed;
  }

  /** Runs {@code action} after {@code ms} (now if {@code ms <= 0}) unless the connection closed. */
  public void after(long ms, Runnable action) {
    if (closed) {
      return;
    }
    if (ms <= 0) {
      action.run();
      return;
    }
    long id = vertx.setTimer(ms, t -> {
      timers.remove(t);
      if (!closed) {
        action.run();
      }
    });
    timers.add(id);
  }

  /** Runs {@code steps[0]} now and each next step {@code gapMs} later; stops when closed. */
  public void steps(long gapMs, List<Runnable> steps) {
    if (steps.isEmpty() || closed) {
      return;
    }
    steps.get(0).run();
    if (gapMs <= 0) {
      for (int i = 1; i < steps.size() && !closed; i++) {
        steps.get(i).run();
      }
      return;
    }
    if (steps.size() == 1) {
      return;
    }
    int[] next = {1};
    // A periodic timer keeps the cadence steady instead of drifting by each step's run time.
    long id = vertx.setPeriodic(gapMs, t -> {
      if (closed) {
        cancel(t);
        return;
      }
      steps.get(next[0]++).run();
      if (next[0] >= steps.size()) {
        cancel(t);
      }
    });
    timers.add(id);
  }

  private void cancel(long id) {
    vertx.cancelTimer(id);
    timers.remove(id);
  }

  /** Sets 200, chunked, {@code text/event-stream} headers (not yet sent). */
  public void startSse() {
    response()
        .setStatusCode(200)
        .setChunked(true)
        .putHeader("content-type", "text/event-stream")
        .putHeader("cache-control", "no-cache");
  }

  /** Writes {@code data: <data>\n\n} as its own write, so it is flushed on its own. */
  public void writeEvent(String data) {
    if (!closed) {
      response().write("data: " + data + "\n\n");
    }
  }

  /** Ends the response cleanly. */
  public void end() {
    if (!closed && !response().ended()) {
      response().end();
    }
  }

  /** Closes the TCP connection without finishing the response (an abrupt upstream failure). */
  public void closeConnection() {
    if (!closed) {
      serverClosed = true;
      request.connection().close();
    }
  }

  /** Resets the TCP connection (an RST: SO_LINGER 0, then close), as a crashed or killed upstream does. */
  public void resetConnection() {
    if (!closed) {
      serverClosed = true;
      ConnectionBase c = (ConnectionBase) request.connection();
      c.channel().config().setOption(ChannelOption.SO_LINGER, 0);
      c.close();
    }
  }

  /** Called from the response close handler: stop every pending timer. */
  void markClosed() {
    closed = true;
    for (long id : timers) {
      vertx.cancelTimer(id);
    }
    timers.clear();
  }
}
