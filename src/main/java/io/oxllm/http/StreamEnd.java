package io.oxllm.http;

import io.oxllm.routing.AttemptOutcome.Kind;
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
 * upstream's end, with the missing {@code [DONE]} added after a {@code finish_reason} of every
 * choice asked for; or
 * interrupted (cut, timed out, or ended unfinished), with one {@code stream_interrupted} error
 * event and no {@code [DONE]}.
 *
 * <p>The relay decides when, and this how: it calls one of {@link #atDone}, {@link #atUpstreamEnd}
 * and {@link #cut}, once, as it marks itself over. Its {@link EventAligner} has already cut
 * the stream at the [DONE] event's end, and holds the bytes of an unfinished event.
 */
final class StreamEnd {
  private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

  private final HttpServerResponse resp;
  private final HttpClientResponse upstream;
  private final UpstreamAttempt attempt;
  private final RelayListener listener;
  private final AnswerFacts facts;
  private final SseScanner scanner;
  private final EventAligner aligner;
  private final int choices; // the request's n: an end without [DONE] is complete once each finished

  /** {@code facts}: the stream's; {@code aligner} feeds its scanner every chunk and holds an unfinished event. */
  StreamEnd(HttpServerResponse resp, HttpClientResponse upstream, UpstreamAttempt attempt, RelayListener listener,
      AnswerFacts facts, EventAligner aligner, int choices) {
    this.resp = resp;
    this.upstream = upstream;
    this.attempt = attempt;
    this.listener = listener;
    this.facts = facts;
    this.scanner = facts.scanner();
    this.aligner = aligner;
    this.choices = choices;
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
    listener.ended(completeKind(), completeNote());
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
    int finished = scanner.finishedChoices(choices);
    if (scanner.endsInsideDoneEvent()) {
      completeDone();
    } else if (scanner.endsInsideDataEvent()) {
      interrupt(AttemptError.ENDED_INSIDE_EVENT);
    } else if (finished < choices) {
      // an error event of the upstream's own says why better than "ended unfinished" (an audit)
      interrupt(scanner.laterErrorMessage() != null ? completeNote()
          : finished == 0 ? AttemptError.ENDED_UNFINISHED : AttemptError.choicesUnfinished(finished, choices));
    } else {
      // every choice finished, outside a data event (a comment without its blank line cuts nothing)
      Buffer tail = aligner.takeHeld();
      finish(tail.appendBuffer(separated(DONE)), completeKind(), completeNote()); // the missing [DONE], added
    }
  }

  /**
   * The upstream failed (a cut, a reset, a timeout) after the commit: an interruption, unless all
   * that was missing was the blank line after its {@code data: [DONE]}: the upstream had said the
   * answer was complete, as at a clean end without that line.
   */
  void cut(AttemptError reason) {
    if (scanner.endsInsideDoneEvent() && !listener.clientGone()) {
      completeDone();
    } else {
      interrupt(reason);
    }
  }

  /** The held {@code data: [DONE]} line goes out with the line end(s) the upstream left out. */
  private void completeDone() {
    finish(aligner.takeHeld().appendString(scanner.eventEnd()), completeKind(), completeNote());
  }

  /**
   * How a stream that ended complete went: a success, unless an event after the first was an
   * error. That event went to the client as it came (an SDK raises on it), so the request was no
   * success, nor the provider's: it was logged ok and counted a success (an SDK audit).
   */
  private Kind completeKind() {
    return scanner.laterErrorMessage() == null ? Kind.SUCCESS : Kind.FAILURE;
  }

  private AttemptError completeNote() {
    String error = scanner.laterErrorMessage();
    return error == null ? null : AttemptError.laterErrorEvent(error, attempt.target().provider());
  }

  /**
   * Ends the response with one {@code stream_interrupted} event (none to a client gone) and aborts
   * the attempt. The cut event's held bytes are dropped: half an event would reach the client as
   * one whose JSON does not parse, before the error that says why.
   */
  private void interrupt(AttemptError reason) {
    aligner.discard();
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
   * {@code event}, after a blank line when what went out ends inside an event (one over the
   * scanner's limit goes out as it comes, and a flushed one is out): without it, ours would join
   * that event.
   */
  private Buffer separated(Buffer event) {
    return aligner.sentEndsInsideEvent() ? Buffer.buffer("\n\n").appendBuffer(event) : event;
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
