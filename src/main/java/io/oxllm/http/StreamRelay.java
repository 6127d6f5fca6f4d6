package io.oxllm.http;

import io.oxllm.sse.SseScanner;
import io.oxllm.upstream.AttemptError;
import io.oxllm.upstream.UpstreamAttempt;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * A stream (SSE) to the client. Its head is held until the first SSE event (the commit point, SPEC
 * section 5), so a failure or an error event before it can still fail over. After it, how the
 * stream ends (at {@code [DONE]}, at the upstream's end, or interrupted with a
 * {@code stream_interrupted} event) is {@link StreamEnd}'s.
 *
 * <p>It goes on through an {@link EventAligner}: each event as soon as it is complete, so a cut
 * never sends the client half an event; without the usage-only event when the gateway asked the
 * upstream for usage the client did not ask for ({@code stripUsage}).
 */
final class StreamRelay extends ResponseRelay {
  /** Bytes a stream may send before its first complete event; past this it is not SSE we can use. */
  static final int MAX_BEFORE_FIRST_EVENT = 1 << 20;
  private final boolean stripUsage;
  private final int choices;
  private SseScanner scanner;
  private EventAligner aligner;
  private StreamEnd end;

  /** {@code choices}: the request's {@code n}. */
  StreamRelay(HttpServerResponse resp, HttpClientResponse upstream, UpstreamAttempt attempt, RelayListener listener,
      GatewayHeaders gatewayHeaders, boolean stripUsage, int choices) {
    super(resp, upstream, attempt, listener, gatewayHeaders);
    this.stripUsage = stripUsage;
    this.choices = choices;
  }

  @Override
  void start() {
    attempt.streamHeadArrived();
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
}
