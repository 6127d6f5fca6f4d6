package io.oxllm.http;

import io.oxllm.routing.AttemptOutcome.Kind;
import io.oxllm.sse.SseScanner;
import io.oxllm.upstream.AttemptError;
import io.oxllm.upstream.SecretScrub;
import io.oxllm.upstream.UpstreamAttempt;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Relays one upstream response to the client, byte for byte, with backpressure: when the client's
 * write queue ({@link ClientWriteQueue}) is full the upstream read pauses until it drains, so memory
 * per stream stays bounded.
 *
 * <p>Streams (SSE) have a commit point (SPEC section 5): headers are held until the first SSE
 * event, so a failure or an error event before it can still fail over. After it, how the stream
 * ends (at {@code [DONE]}, at the upstream's end, or interrupted with a {@code stream_interrupted}
 * event) is {@link StreamEnd}'s. Bodies commit at their first bytes, so a head followed by a cut
 * or a silence fails over too; one that answers a stream request commits later still
 * ({@link #relayBodyUnlessError}).
 *
 * <p>A stream goes on through an {@link EventAligner}: each event as soon as it is complete, so a
 * cut never sends the client half an event; without the usage-only event when the gateway asked
 * the upstream for usage the client did not ask for.
 */
final class ResponseRelay {
  /** Bytes a stream may send before its first complete event; past this it is not SSE we can use. */
  private static final int MAX_BEFORE_FIRST_EVENT = 1 << 20;
  /** A body held to see whether it is an error object ({@link #relayBodyUnlessError}); past this it is an answer. */
  static final int MAX_HELD_BODY = 64 * 1024;

  private final HttpServerResponse resp;
  private final HttpClientResponse upstream;
  private final UpstreamAttempt attempt;
  private final RelayListener listener;
  private final GatewayHeaders gatewayHeaders;
  private SseScanner scanner;
  private AnswerFacts facts;
  private SecretScrub scrub; // an error body's, or null
  private EventAligner aligner; // a stream's
  private StreamEnd end; // a stream's; null for a body
  private List<Buffer> held;
  private int heldBytes;
  private boolean committed;
  // done with this answer: it failed over or ended. Set before the one StreamEnd call that ends a
  // committed stream, so that nothing is relayed or ended after it
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

  /**
   * Non-stream: pipe the body, committing at its first bytes (or its end, when empty). Must be
   * called in the callback that delivered the response.
   */
  void relayBody() {
    relayBody(false);
  }

  /**
   * A 2xx that is not SSE, to a request that asked for a stream: some servers refuse a stream so,
   * with {@code {"error":…}} and 200, which a client reading SSE takes for an empty answer. Held
   * until it ends (a body over {@link #MAX_HELD_BODY} is an answer, and goes on at once): an error
   * object fails over as a first error event does (SPEC section 5); anything else goes out as a
   * body. Must be called in the callback that delivered the response.
   */
  void relayBodyUnlessError() {
    relayBody(true);
  }

  private void relayBody(boolean holdForError) {
    facts = AnswerFacts.json();
    if (upstream.statusCode() >= 400) {
      scrub = SecretScrub.of(attempt.target().provider()); // an error body may quote the key it was sent
    }
    if (holdForError) {
      held = new ArrayList<>(2);
    } else {
      // the head is the first byte; the body's silence from here is idle time, as in a stream's
      attempt.firstByteArrived();
      attempt.watchIdle();
    }
    upstream.handler(chunk -> {
      if (!committed && held == null && !over) {
        // commit at the body's first bytes, not at the head: until then nothing has gone to the
        // client, so a cut or a silence after the head still fails over (SPEC section 4)
        commit(false);
      }
      if (committed) {
        facts.feedJson(chunk);
        forward(scrub == null ? chunk : scrub.next(chunk));
      } else if (!over) {
        held.add(chunk);
        heldBytes += chunk.length();
        if (heldBytes > MAX_HELD_BODY) {
          commitHeldBody();
        }
      }
    });
    upstream.exceptionHandler(err -> {
      if (!committed) {
        failBeforeCommit(reason(err));
      } else if (!over) {
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
      if (!committed && !over) {
        if (held == null) {
          commit(false); // an empty body
        } else {
          String error = ErrorBody.message(held);
          if (error != null) {
            failBeforeCommit(AttemptError.errorBody(error, attempt.target().provider()));
            return;
          }
          commitHeldBody();
        }
      }
      if (!over) {
        if (scrub != null) {
          forward(scrub.rest());
        }
        over = true;
        attempt.finish();
        facts.endJson();
        listener.ended(kindOf(upstream.statusCode()), null);
        resp.end();
      }
    });
  }

  private void commitHeldBody() {
    attempt.firstByteArrived();
    commit(false);
    List<Buffer> body = held;
    held = null;
    for (Buffer b : body) {
      facts.feedJson(b);
      forward(b);
    }
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

  /** SSE of one choice, without stripping: see {@link #relayStream(boolean, int)}. */
  void relayStream() {
    relayStream(false, 1);
  }

  /**
   * SSE: hold until the first event, then commit and pass through; with {@code stripUsage}, without
   * the usage-only event; {@code choices}: the request's {@code n}. Call in the delivering callback.
   */
  void relayStream(boolean stripUsage, int choices) {
    facts = AnswerFacts.stream();
    scanner = facts.scanner();
    held = new ArrayList<>(2);
    aligner = new EventAligner(scanner, stripUsage, this::emit);
    end = new StreamEnd(resp, upstream, attempt, listener, facts, aligner, choices);
    upstream.handler(chunk -> {
      if (over) {
        return; // answered already ([DONE]): what the upstream sends after it is not part of it
      }
      if (!committed) {
        beforeCommit(chunk);
      } else {
        attempt.activity(); // the upstream is alive even when nothing goes out for this chunk
        aligner.feed(chunk);
      }
      if (committed && scanner.sawDone()) {
        over = true;
        end.atDone();
      }
    });
    upstream.exceptionHandler(err -> {
      if (!committed) {
        failBeforeCommit(reason(err));
      } else if (!over) { // a failure after the answer's end (at its [DONE], mostly) is not the answer's
        over = true;
        end.cut(reason(err));
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
      over = true;
      end.atUpstreamEnd();
    });
  }

  /** What the {@link EventAligner} sends on: held until the commit, then forwarded. */
  private void emit(Buffer b) {
    if (committed) {
      forward(b);
    } else if (held != null) {
      held.add(b);
    }
  }

  private void beforeCommit(Buffer chunk) {
    if (over) {
      return; // failed over already: what still arrives is not ours to look at
    }
    aligner.feed(chunk); // its complete events come back through emit() into held
    heldBytes += chunk.length();
    if (scanner.events() > 0) {
      if (scanner.firstEventIsError()) {
        failBeforeCommit(AttemptError.errorEvent(scanner.firstErrorMessage(), attempt.target().provider()));
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
    if (scrub != null) {
      resp.headers().remove(HttpHeaders.CONTENT_LENGTH); // a secret replaced changes it
    }
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
    listener.committed();
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

  private AttemptError reason(Throwable err) {
    return attempt.abortError() != null ? attempt.abortError() : AttemptError.transport(err);
  }

  /** What the answer said about itself (set once relaying started). */
  AnswerFacts facts() {
    return facts;
  }
}
