package io.oxllm.mock;

import io.oxllm.mock.MockKnobs.Fault;
import io.oxllm.mock.MockKnobs.Fault.Kind;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * One SSE answer: content chunks paced by a periodic timer (never a sleep), then the
 * finish_reason chunk, the usage-only chunk when asked, and {@code [DONE]} — or a fault instead.
 * Each event is one write() of head + precomputed tail; with gap 0 the whole stream is one write.
 * The timer stops when the connection closes, so an abandoned stream costs nothing.
 *
 * <p>Measured: this costs the same CPU per chunk as a bare Vert.x server writing fixed chunks
 * from setPeriodic; the write syscall and the event loop waking per chunk are the cost, and
 * sharing one timer among streams due in the same millisecond did not lower it.
 */
final class MockStream implements Handler<Long> {
  private static final CharSequence SSE = HttpHeaders.createOptimized("text/event-stream");
  private static final CharSequence NO_CACHE = HttpHeaders.createOptimized("no-cache");

  private final Vertx vertx;
  private final HttpServerRequest req;
  private final HttpServerResponse resp;
  private final MockKnobs k;
  private final MockStats stats;
  private final MockBodies bodies;
  private final MockBodies.Shape shape;
  private final Buffer head;
  private final boolean usage;
  private final int promptTokens;
  private final int limit; // content chunks to send before finishing (or before the fault)
  private int next;
  private long timer = -1;
  private boolean done;

  MockStream(Vertx vertx, HttpServerRequest req, MockKnobs k, MockStats stats, MockBodies bodies,
      boolean chat, Buffer head, boolean usage, int promptTokens) {
    this.vertx = vertx;
    this.req = req;
    this.resp = req.response();
    this.k = k;
    this.stats = stats;
    this.bodies = bodies;
    this.shape = bodies.shape(chat);
    this.head = head;
    this.usage = usage;
    this.promptTokens = promptTokens;
    Kind f = k.fault().kind();
    this.limit = f == Kind.CUT || f == Kind.STALL ? Math.min(k.fault().k(), k.chunks()) : k.chunks();
  }

  void start() {
    resp.setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, SSE).putHeader(HttpHeaders.CACHE_CONTROL, NO_CACHE);
    Kind f = k.fault().kind();
    if (f != Kind.NONE) {
      stats.faults.increment();
    }
    if (f == Kind.ERROR_FIRST) {
      resp.end(Buffer.buffer(MockBodies.ERROR_EVENT));
      return;
    }
    resp.closeHandler(v -> closed());
    if (limit == 0) {
      afterContent(resp.writeHead()); // cut:0 / stall:0: headers only
    } else if (k.gapMs() == 0) {
      Buffer all = Buffer.buffer(limit * (head.length() + shape.content[0].length + 8) + 512);
      for (int i = 0; i < limit; i++) {
        all.appendBuffer(head).appendBytes(content(i));
      }
      next = limit;
      if (f == Kind.CUT || f == Kind.STALL) {
        afterContent(resp.write(all));
      } else {
        done = true;
        resp.end(appendFinish(all));
      }
    } else {
      handle(null);
    }
  }

  /** Writes the next content chunk; the periodic timer calls it every gap-ms. */
  @Override
  public void handle(Long timerId) {
    if (done) {
      return;
    }
    if (resp.writeQueueFull()) {
      return; // the client reads slower than we write: skip a beat rather than buffer without bound
    }
    Buffer event = Buffer.buffer(head.length() + content(next).length).appendBuffer(head).appendBytes(content(next));
    next++;
    Future<Void> written = resp.write(event);
    if (next == limit) {
      afterContent(written);
    } else if (timer < 0) {
      timer = vertx.setPeriodic(k.gapMs(), this);
    }
  }

  private byte[] content(int i) {
    return usage ? shape.contentUsage[i] : shape.content[i];
  }

  private void afterContent(Future<Void> lastWrite) {
    stopTimer();
    done = true;
    switch (k.fault().kind()) {
      case CUT -> {
        resp.closeHandler(null); // our own close is not a client leaving
        // close once the last chunk is on the wire: closing at once could drop it unflushed
        lastWrite.onComplete(ar -> req.connection().close());
      }
      case STALL -> { } // silence until the client gives up; closed() then counts it
      default -> {
        Buffer finish = Buffer.buffer(2 * head.length() + 256);
        resp.end(appendFinish(finish));
      }
    }
  }

  /** finish_reason chunk, usage-only chunk when asked, [DONE] unless the fault is no-done. */
  private Buffer appendFinish(Buffer b) {
    b.appendBuffer(head).appendBytes(usage ? shape.stopUsage : shape.stop);
    if (usage) {
      b.appendBuffer(bodies.usageEvent(head, promptTokens));
    }
    if (k.fault().kind() != Kind.NO_DONE) {
      b.appendBytes(MockBodies.DONE);
    }
    return b;
  }

  private void closed() {
    stopTimer();
    done = true;
    if (!resp.ended()) {
      stats.clientCloses.increment();
    }
  }

  private void stopTimer() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /**
   * A non-stream answer under a stream-shaped fault: cut and stall send the headers (with the
   * full Content-Length) and half the body, then close or go silent; error-first answers 200 with
   * an error body (some providers really do that).
   */
  static void faultyBody(HttpServerRequest req, Buffer body, Fault fault, MockStats stats) {
    stats.faults.increment();
    HttpServerResponse resp = req.response();
    resp.putHeader(HttpHeaders.CONTENT_TYPE, MockHandler.JSON);
    if (fault.kind() == Kind.ERROR_FIRST) {
      resp.end(MockHandler.errorBody());
      return;
    }
    resp.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length()));
    Future<Void> written = resp.write(body.slice(0, body.length() / 2));
    if (fault.kind() == Kind.CUT) {
      resp.closeHandler(null);
      written.onComplete(ar -> req.connection().close());
    } else {
      resp.closeHandler(v -> stats.clientCloses.increment());
    }
  }
}
