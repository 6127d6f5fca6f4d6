package io.oxllm.http;

import io.oxllm.routing.AttemptOutcome.Kind;
import io.oxllm.sse.EventListener;
import io.oxllm.sse.SseScanner;
import io.oxllm.upstream.AttemptError;
import io.oxllm.upstream.UpstreamAttempt;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * How a committed stream's response to the client ends (SPEC section 5), for a
 * {@link ResponseRelay}: at the {@code [DONE]} event, cut there even inside a chunk; at the
 * upstream's end, with the missing {@code [DONE]} added after a {@code finish_reason}; or
 * interrupted (cut, timed out, or ended unfinished), with one {@code stream_interrupted} error
 * event and no {@code [DONE]}.
 *
 * <p>The relay decides when, and this how: it calls one of {@link #atDone}, {@link #atUpstreamEnd}
 * and {@link #interrupt}, once, as it marks itself over.
 */
final class StreamEnd {
  private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

  private final HttpServerResponse resp;
  private final HttpClientResponse upstream;
  private final UpstreamAttempt attempt;
  private final RelayListener listener;
  private final AnswerFacts facts;
  private final SseScanner scanner;
  // where, in the chunk being fed, the [DONE] event ended (-1: not in it); told by doneWatch
  private int doneEnd = -1;
  private final EventListener doneWatch;

  /** {@code facts}: the stream's; its scanner reads every chunk ({@link #untilDone}, or a {@link UsageStripper}). */
  StreamEnd(HttpServerResponse resp, HttpClientResponse upstream, UpstreamAttempt attempt, RelayListener listener,
      AnswerFacts facts) {
    this.resp = resp;
    this.upstream = upstream;
    this.attempt = attempt;
    this.listener = listener;
    this.facts = facts;
    this.scanner = facts.scanner();
    this.doneWatch = (end, usageOnly) -> {
      if (doneEnd < 0 && scanner.sawDone()) {
        doneEnd = end;
      }
    };
  }

  /**
   * Feeds {@code chunk} to the scanner; returns it, or, when the {@code [DONE]} event ends in it,
   * the part up to that end: what follows [DONE] is not the answer's, even in the same read.
   */
  Buffer untilDone(Buffer chunk) {
    doneEnd = -1;
    scanner.feed(chunk, scanner.sawDone() ? null : doneWatch);
    return doneEnd >= 0 && doneEnd < chunk.length() ? chunk.slice(0, doneEnd) : chunk;
  }

  /**
   * {@code [DONE]} went out: the answer is complete, and the client's response ends now, whatever
   * the upstream does after it (one that kept its connection open had the idle timeout append an
   * error event after the [DONE] and count as a provider failure). The upstream's own end is still
   * awaited, under the attempt's timeouts, so that a well-behaved connection is pooled again; one
   * that never comes resets the connection and blames no one.
   */
  void atDone() {
    // tell the exchange first: ending the response runs its end handlers at once
    listener.ended(Kind.SUCCESS, null);
    if (!listener.clientGone()) {
      resp.end();
    }
    // a pause for the client would otherwise hold the tail (and the idle clock) for ever
    attempt.backpressureReleased();
    upstream.resume();
  }

  /**
   * The upstream ended the stream without a {@code [DONE]} having gone out (one that did ended the
   * answer there, {@link #atDone}): complete when it stopped inside the [DONE] event or after a
   * {@code finish_reason}, else cut.
   */
  void atUpstreamEnd() {
    if (scanner.endsInsideDoneEvent()) {
      finish(Buffer.buffer(scanner.eventEnd()), Kind.SUCCESS, null); // the last [DONE] event's end, added
    } else if (scanner.endsInsideDataEvent()) {
      interrupt(AttemptError.ENDED_INSIDE_EVENT);
    } else if (scanner.finishReason() != null) {
      finish(separated(DONE), Kind.SUCCESS, null); // the missing [DONE], added
    } else {
      interrupt(AttemptError.ENDED_UNFINISHED);
    }
  }

  /** Ends the response with one {@code stream_interrupted} event (none to a client gone) and aborts the attempt. */
  void interrupt(AttemptError reason) {
    boolean gone = listener.clientGone();
    finish(gone ? null : separated(errorEvent(reason.text())), gone ? Kind.NEUTRAL : Kind.FAILURE,
        gone ? AttemptError.CLIENT_CLOSED : reason);
    attempt.abort(reason);
  }

  /** Ends the attempt, then the response with {@code last} (bytes the gateway adds; null: none). */
  private void finish(Buffer last, Kind kind, AttemptError note) {
    attempt.finish();
    if (last != null) {
      facts.addBytesOut(last.length());
    }
    // tell the exchange first: ending the response runs its end handlers at once
    listener.ended(kind, note);
    if (!listener.clientGone()) {
      if (last != null) {
        resp.end(last);
      } else {
        resp.end();
      }
    }
  }

  /**
   * {@code event}, after a blank line when the stream so far ends inside an event: its bytes are
   * out already, and without one ours would join it as one event the client cannot parse.
   */
  private Buffer separated(Buffer event) {
    return scanner.endsInsideEvent() ? Buffer.buffer("\n\n").appendBuffer(event) : event;
  }

  private static Buffer errorEvent(String message) {
    JsonObject error = new JsonObject()
        .put("message", "upstream stream interrupted: " + message)
        .put("type", "upstream_error")
        .put("param", null)
        .put("code", "stream_interrupted");
    return Buffer.buffer("data: ").appendBuffer(new JsonObject().put("error", error).toBuffer()).appendString("\n\n");
  }
}
