package io.oxllm.http;

import io.oxllm.upstream.AttemptError;
import io.oxllm.upstream.UpstreamAttempt;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;

/**
 * Relays one upstream response to the client, byte for byte, with backpressure: when the client's
 * write queue ({@link ClientWriteQueue}) is full the upstream read pauses until it drains, so memory
 * per stream stays bounded. Nothing goes to the client before the commit point; a failure before
 * it fails over (SPEC sections 4 and 5), after it the client is told the answer was cut.
 * {@link BodyRelay} commits at a body's first bytes, {@link StreamRelay} at a stream's first
 * event. This is what both share: the commit, the forwarding and the failure before the commit.
 */
abstract sealed class ResponseRelay permits BodyRelay, StreamRelay {
  final HttpServerResponse resp;
  final HttpClientResponse upstream;
  final UpstreamAttempt attempt;
  final RelayListener listener;
  private final GatewayHeaders gatewayHeaders;
  AnswerFacts facts;
  List<Buffer> held; // what waits for the commit, or null
  int heldBytes;
  boolean committed;
  // done with this answer: it failed over or ended. Set before the one StreamEnd call that ends a
  // committed stream, so that nothing is relayed or ended after it
  boolean over;

  /** The gateway's own response headers, written at commit. */
  interface GatewayHeaders {
    void writeTo(HttpServerResponse resp);
  }

  ResponseRelay(HttpServerResponse resp, HttpClientResponse upstream, UpstreamAttempt attempt,
      RelayListener listener, GatewayHeaders gatewayHeaders) {
    this.resp = resp;
    this.upstream = upstream;
    this.attempt = attempt;
    this.listener = listener;
    this.gatewayHeaders = gatewayHeaders;
  }

  /** Starts relaying. Must be called in the callback that delivered the response. */
  abstract void start();

  /** Whether the upstream's Content-Length still holds for what goes out (not when bytes change). */
  boolean keepsLength() {
    return true;
  }

  void commit(boolean stream) {
    committed = true;
    resp.setStatusCode(upstream.statusCode());
    HeaderRules.downstream(upstream.headers(), resp.headers(), !stream);
    if (!keepsLength()) {
      resp.headers().remove(HttpHeaders.CONTENT_LENGTH);
    }
    if (stream) {
      HeaderRules.stream(resp.headers());
    }
    gatewayHeaders.writeTo(resp);
    if (!resp.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
      resp.setChunked(true); // not for an HTTP/1.0 client: ClientConnections closes its connection after
    }
    resp.drainHandler(v -> {
      attempt.backpressureReleased();
      upstream.resume();
    });
    attempt.watchIdle();
    listener.committed();
  }

  void forward(Buffer chunk) {
    if (over || listener.clientGone()) {
      return;
    }
    attempt.activity();
    facts.addBytesOut(chunk.length());
    resp.write(chunk);
    if (resp.writeQueueFull()) {
      upstream.pause();
      attempt.backpressureHeld();
    }
  }

  void failBeforeCommit(AttemptError reason) {
    if (over) {
      return;
    }
    over = true;
    held = null;
    attempt.abort(reason);
    listener.failedBeforeCommit(reason);
  }

  AttemptError reason(Throwable err) {
    if (attempt.abortError() != null) {
      return attempt.abortError();
    }
    // the head is in: what the client refuses now is the body's framing (a chunk size that is no number)
    return err instanceof IllegalArgumentException ? AttemptError.malformedResponse(err, attempt.target().provider())
        : AttemptError.transport(err);
  }

  /** What the answer said about itself (set once relaying started). */
  AnswerFacts facts() {
    return facts;
  }
}
