package io.oxllm.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayDeque;

/**
 * What one client connection is doing, for {@link ClientConnections}: whether an exchange runs,
 * and since when none has. It is the answer's body-end handler itself, so a request costs no
 * allocation; and it does not keep the request: keeping each connection's last one (and all it
 * reaches) alive until the next cost 10 % of throughput and 17 % more CPU a request at 500
 * connections (docs/performance-history.md). Event-loop confined.
 */
final class ConnectionUse implements Handler<Void> {
  final HttpConnection connection;
  final FramingDecoder decoder; // null if Vert.x's own decoder is in place
  // Counted, not flagged: Vert.x starts a pipelined request as the answer before it ends, and
  // tells of that end after the next request's handler has run.
  long started;
  long answered;
  boolean waiting; // a request waits for the answers before it to be read (HttpVerticle)
  long unsent = -1; // while waiting: the unsent answer bytes the last sweep saw
  long idleSinceNanos = System.nanoTime();
  long lastAnswer; // the request whose answer says Connection: close (counted as started), or 0
  ArrayDeque<BodyHold> heldBodies; // the counted bodies of requests not yet seen answered, in order; null: none yet
  ArrayDeque<HttpServerResponse> oldAnswers; // HTTP/1.0 keep-alive answers not yet ended, in order; null: none yet

  ConnectionUse(HttpConnection connection, FramingDecoder decoder) {
    this.connection = connection;
    this.decoder = decoder;
  }

  boolean busy() {
    return started != answered;
  }

  /** Gives back the bodies of the requests whose answers have ended (answers end in order). */
  void releaseEndedBodies() {
    while (heldBodies != null && !heldBodies.isEmpty() && heldBodies.peek().answerEnded()) {
      heldBodies.poll().release();
    }
  }

  @Override
  public void handle(Void ended) {
    if (++answered == started) {
      idleSinceNanos = System.nanoTime();
    }
    releaseEndedBodies();
    HttpServerResponse old = oldAnswers == null ? null : oldAnswers.poll();
    // HTTP/1.0 has no chunks: an answer without a length ends only with the connection, and
    // Vert.x keeps open one whose client asked for keep-alive, so the client waited for the idle timeout
    if (old != null && !old.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
      connection.close();
    } else if (lastAnswer != 0 && answered >= lastAnswer) {
      connection.close(); // nothing may follow it (RFC 9112 section 9.6), pipelined or not
    } else if (decoder != null) {
      decoder.answered();
    }
  }
}
