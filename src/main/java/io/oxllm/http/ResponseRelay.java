package io.oxllm.http;

import io.oxllm.routing.AttemptOutcome.Kind;
import io.oxllm.sse.EventListener;
import io.oxllm.sse.SseScanner;
import io.oxllm.upstream.AttemptError;
import io.oxllm.upstream.UpstreamAttempt;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Relays one upstream response to the client, byte for byte, with backpressure: when the client's
 * write queue ({@link ClientWriteQueue}) is full the upstream read pauses until it drains, so memory
 * per stream stays bounded.
 *
 * <p>Streams (SSE) have a commit point (SPEC section 5): headers are held until the first SSE
 * event, so a failure or an error event before it can still fail over. After it, a cut, idle or
 * total timeout ends the response with one {@code stream_interrupted} error event and no
 * {@code [DONE]}; a clean end after a {@code finish_reason} gets the missing {@code [DONE]}.
 * Non-stream bodies commit at the headers.
 *
 * <p>When the gateway asked the upstream for usage the client did not ask for, a
 * {@link UsageStripper} sends the stream on event-aligned without the usage-only event; otherwise
 * every chunk goes out as it came.
 */
final class ResponseRelay {
  private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");
  /** Bytes a stream may send before its first complete event; past this it is not SSE we can use. */
  private static final int MAX_BEFORE_FIRST_EVENT = 1 << 20;

  private final HttpServerResponse resp;
  private final HttpClientResponse upstream;
  private final UpstreamAttempt attempt;
  private final RelayListener listener;
  private final GatewayHeaders gatewayHeaders;
  private SseScanner scanner;
  private AnswerFacts facts;
  private UsageStripper stripper; // null: chunks pass as they are
  private List<Buffer> held;
  private int heldBytes;
  // where, in the chunk being fed, the [DONE] event ended (-1: not in it); told by doneWatch
  private int doneEnd = -1;
  private final EventListener doneWatch = (end, usageOnly) -> {
    if (doneEnd < 0 && scanner.sawDone()) {
      doneEnd = end;
    }
  };
  private boolean committed;
  private boolean over;

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

  /** Non-stream: commit now and pipe the body. Must be called in the callback that delivered the response. */
  void relayBody() {
    attempt.firstByteArrived();
    commit(false);
    facts = AnswerFacts.json();
    upstream.handler(chunk -> {
      facts.feedJson(chunk);
      forward(chunk);
    });
    upstream.exceptionHandler(err -> {
      if (!over) {
        over = true;
        attempt.finish();
        boolean gone = listener.clientGone();
        // tell the exchange first: ending or resetting the response runs its end handlers at once
        listener.ended(gone ? Kind.NEUTRAL : Kind.FAILURE, reason(err));
        if (!gone) {
          resp.reset();  // headers are out: closing is the only honest way to say "truncated"
        }
      }
    });
    upstream.endHandler(v -> {
      if (!over) {
        over = true;
        attempt.finish();
        facts.endJson();
        listener.ended(kindOf(upstream.statusCode()), null);
        resp.end();
      }
    });
  }

  /**
   * What a whole answer relayed to the client says of its provider (SPEC section 4), whatever
   * {@code retry_on} holds: a 429 is a cooldown, a 408 or 5xx a failure, another 4xx the client's.
   */
  static Kind kindOf(int status) {
    if (status == 429) {
      return Kind.RATE_LIMITED;
    }
    return status == 408 || status >= 500 ? Kind.FAILURE : status >= 400 ? Kind.NEUTRAL : Kind.SUCCESS;
  }

  /** SSE without stripping: see {@link #relayStream(boolean)}. */
  void relayStream() {
    relayStream(false);
  }

  /**
   * SSE: hold until the first event, then commit and pass through; with {@code stripUsage}, without
   * the usage-only event. Call in the delivering callback.
   */
  void relayStream(boolean stripUsage) {
    facts = AnswerFacts.stream();
    scanner = facts.scanner();
    held = new ArrayList<>(2);
    stripper = stripUsage ? new UsageStripper(scanner, this::emit) : null;
    upstream.handler(chunk -> {
      if (over) {
        return; // answered already ([DONE]): what the upstream sends after it is not part of it
      }
      if (!committed) {
        beforeCommit(chunk);
      } else if (stripper != null) {
        attempt.activity(); // the upstream is alive even when nothing goes out for this chunk
        stripper.feed(chunk);
      } else {
        forward(untilDone(chunk));
      }
      if (committed && scanner.sawDone()) {
        doneSeen();
      }
    });
    upstream.exceptionHandler(err -> {
      if (!committed) {
        failBeforeCommit(reason(err));
      } else {
        flushStripper();
        interrupt(reason(err));
      }
    });
    upstream.endHandler(v -> {
      if (over) {
        attempt.finish(); // the tail after [DONE] ended: the connection goes back to the pool
        return;
      }
      if (!committed) {
        failBeforeCommit(AttemptError.NO_FIRST_EVENT);
        return;
      }
      flushStripper();
      // a [DONE] seen ended the answer already (doneSeen): here the stream ended without one
      if (scanner.endsInsideDoneEvent()) {
        finish(Buffer.buffer(scanner.eventEnd()), Kind.SUCCESS, null); // the last [DONE] event's end, added
      } else if (scanner.endsInsideDataEvent()) {
        interrupt(AttemptError.ENDED_INSIDE_EVENT);
      } else if (scanner.finishReason() != null) {
        finish(separated(DONE), Kind.SUCCESS, null); // the missing [DONE], added
      } else {
        interrupt(AttemptError.ENDED_UNFINISHED);
      }
    });
  }

  /**
   * {@code [DONE]} went out: the answer is complete, and the client's response ends now, whatever
   * the upstream does after it (one that kept its connection open had the idle timeout append an
   * error event after the [DONE] and count as a provider failure). The upstream's own end is still
   * awaited, under the attempt's timeouts, so that a well-behaved connection is pooled again; one
   * that never comes resets the connection and blames no one.
   */
  private void doneSeen() {
    flushStripper();
    over = true;
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
   * Feeds {@code chunk} to the scanner; returns it, or, when the {@code [DONE]} event ends in it,
   * the part up to that end: what follows [DONE] is not the answer's, even in the same read.
   */
  private Buffer untilDone(Buffer chunk) {
    doneEnd = -1;
    scanner.feed(chunk, scanner.sawDone() ? null : doneWatch);
    return doneEnd >= 0 && doneEnd < chunk.length() ? chunk.slice(0, doneEnd) : chunk;
  }

  /** What a {@link UsageStripper} sends on: held until the commit, then forwarded. */
  private void emit(Buffer b) {
    if (committed) {
      forward(b);
    } else if (held != null) {
      held.add(b);
    }
  }

  /** Sends an unfinished last event's bytes as they are, as the pass-through path would have. */
  private void flushStripper() {
    if (stripper != null) {
      stripper.flush();
    }
  }

  private void beforeCommit(Buffer chunk) {
    if (over) {
      return; // failed over already: what still arrives is not ours to look at
    }
    if (stripper != null) {
      stripper.feed(chunk); // what it keeps comes back through emit() into held
    } else {
      held.add(untilDone(chunk));
    }
    heldBytes += chunk.length();
    if (scanner.events() > 0) {
      if (scanner.firstEventIsError()) {
        failBeforeCommit(AttemptError.errorEvent(scanner.firstErrorMessage()));
        return;
      }
      attempt.firstByteArrived();
      commit(true);
      List<Buffer> first = held;
      held = null;
      for (Buffer b : first) {
        forward(b);
      }
    } else if (heldBytes > MAX_BEFORE_FIRST_EVENT) {
      failBeforeCommit(AttemptError.noEventWithin(MAX_BEFORE_FIRST_EVENT));
    }
  }

  private void commit(boolean stream) {
    committed = true;
    resp.setStatusCode(upstream.statusCode());
    HeaderRules.downstream(upstream.headers(), resp.headers(), !stream);
    if (stream) {
      HeaderRules.stream(resp.headers());
    }
    gatewayHeaders.writeTo(resp);
    if (!resp.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
      resp.setChunked(true);
    }
    resp.drainHandler(v -> {
      attempt.backpressureReleased();
      upstream.resume();
    });
    attempt.watchIdle();
  }

  private void forward(Buffer chunk) {
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

  private void failBeforeCommit(AttemptError reason) {
    if (over) {
      return;
    }
    over = true;
    held = null;
    attempt.abort(reason);
    listener.failedBeforeCommit(reason);
  }

  private void interrupt(AttemptError reason) {
    if (over) {
      return;
    }
    boolean gone = listener.clientGone();
    finish(gone ? null : separated(errorEvent(reason.text())), gone ? Kind.NEUTRAL : Kind.FAILURE,
        gone ? AttemptError.CLIENT_CLOSED : reason);
    attempt.abort(reason);
  }

  private void finish(Buffer last, Kind kind, AttemptError note) {
    if (over) {
      return;
    }
    over = true;
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

  private AttemptError reason(Throwable err) {
    return attempt.abortError() != null ? attempt.abortError() : AttemptError.transport(err);
  }

  /** What the answer said about itself (set once relaying started). */
  AnswerFacts facts() {
    return facts;
  }

  /**
   * {@code event}, after a blank line when the stream so far ends inside an event: its bytes are
   * out already, and without one ours would join it as one event the client cannot parse.
   */
  private Buffer separated(Buffer event) {
    return scanner != null && scanner.endsInsideEvent() ? Buffer.buffer("\n\n").appendBuffer(event) : event;
  }

  static Buffer errorEvent(String message) {
    JsonObject error = new JsonObject()
        .put("message", "upstream stream interrupted: " + message)
        .put("type", "upstream_error")
        .put("param", null)
        .put("code", "stream_interrupted");
    return Buffer.buffer("data: ").appendBuffer(new JsonObject().put("error", error).toBuffer()).appendString("\n\n");
  }
}
