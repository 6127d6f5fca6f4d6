package io.oxllm.http;

import io.oxllm.routing.AttemptOutcome.Kind;
import io.oxllm.upstream.AttemptError;
import io.oxllm.upstream.SecretScrub;
import io.oxllm.upstream.UpstreamAttempt;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A body (not SSE) to the client, committed at its first bytes (or its end, when empty), not at
 * the upstream's head: until then nothing has gone out, so a head followed by a cut or a silence
 * still fails over. A cut after the first bytes can only be told by resetting the connection.
 *
 * <p>A 2xx that is not SSE, to a request that asked for a stream, is held until it ends instead:
 * some servers refuse a stream so, with {@code {"error":…}} and 200, which a client reading SSE
 * takes for an empty answer. So is any other 2xx whose first chunk opens {@code {"error":}
 * ({@link ErrorBody#mayBeOne}): a server that answers a failure with 200. An error object fails
 * over as a first error event does (SPEC section 5); a completion, to a stream request, goes out
 * as that stream ({@link BodyAsStream}); anything else, or a body over what may be held
 * ({@link #MAX_HELD_BODY}; to a stream request, as much as a stream may send before its first
 * event), is the answer as it came.
 *
 * <p>The body of an answer of status 400 or more goes through a {@link SecretScrub}: some servers
 * quote the key they were sent.
 */
final class BodyRelay extends ResponseRelay {
  /** A body held to see whether it is an error object; past this it is an answer. */
  static final int MAX_HELD_BODY = 64 * 1024;
  // to a stream request: a completion to convert may be long (logprobs: 1-2 KB a token), and a
  // stream is held as long before its first event; past 64 KiB one went out as JSON (an audit)
  private final int maxHeld;
  private final boolean streamAsked;
  private final boolean usageAsked;
  private boolean holding; // held to see whether it is an error object, not committed at its first bytes
  private boolean sniff; // its first chunk is still to be looked at for an error object
  private SecretScrub scrub; // an error body's, or null
  private boolean converted; // a completion that goes out as the stream the request asked for

  /**
   * @param readable a 2xx the gateway can read (not compressed): it may be an error object
   * @param streamAsked the request asked for a stream: such a body is held from its start
   * @param usageAsked it asked for the stream's usage too
   */
  BodyRelay(HttpServerResponse resp, HttpClientResponse upstream, UpstreamAttempt attempt, RelayListener listener,
      GatewayHeaders gatewayHeaders, boolean readable, boolean streamAsked, boolean usageAsked) {
    super(resp, upstream, attempt, listener, gatewayHeaders);
    this.streamAsked = streamAsked;
    this.usageAsked = usageAsked;
    this.maxHeld = streamAsked ? StreamRelay.MAX_BEFORE_FIRST_EVENT : MAX_HELD_BODY;
    this.holding = readable && streamAsked;
    this.sniff = readable && !streamAsked;
  }

  @Override
  void start() {
    facts = AnswerFacts.json();
    if (upstream.statusCode() >= 400) {
      scrub = SecretScrub.of(attempt.target().provider());
    }
    if (holding) {
      held = new ArrayList<>(2);
      attempt.heldBodyHeadArrived();
    } else {
      // the head is the first byte; the body's silence from here is idle time, as in a stream's
      attempt.firstByteArrived();
      attempt.watchIdle();
    }
    upstream.handler(this::chunk);
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
    upstream.endHandler(v -> ended());
  }

  @Override
  boolean keepsLength() {
    return scrub == null && !converted; // a secret replaced changes it; so does a conversion
  }

  private void chunk(Buffer chunk) {
    if (!committed && !holding && !over) {
      if (sniff && ErrorBody.mayBeOne(chunk)) {
        holding = true; // {"error":… with a 2xx: read it whole before it may go out
        held = new ArrayList<>(2);
      } else {
        commit(false);
      }
    }
    sniff = false;
    if (committed) {
      facts.feedJson(chunk);
      forward(scrub == null ? chunk : scrub.next(chunk));
    } else if (!over) {
      held.add(chunk);
      heldBytes += chunk.length();
      if (heldBytes > maxHeld) {
        commitHeldBody();
      }
    }
  }

  private void ended() {
    if (!committed && !over) {
      if (!holding) {
        commit(false); // an empty body
      } else {
        JsonObject body = ErrorBody.object(held); // read once, for an error and for a completion
        String error = ErrorBody.message(body);
        if (error != null) {
          var provider = attempt.target().provider();
          failBeforeCommit(streamAsked ? AttemptError.errorBody(error, provider)
              : AttemptError.errorBody(upstream.statusCode(), error, provider));
          return;
        }
        Buffer stream = streamAsked && body != null ? BodyAsStream.of(body, usageAsked) : null;
        if (stream != null) {
          commitAsStream(stream, BodyAsStream.carriesToken(body));
        } else {
          commitHeldBody();
        }
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
  }

  /** The held completion goes out as the stream the request asked for ({@link BodyAsStream}). */
  private void commitAsStream(Buffer stream, boolean carriesToken) {
    attempt.firstByteArrived();
    converted = true;
    commit(true);
    resp.headers().set(HttpHeaders.CONTENT_TYPE, "text/event-stream");
    held.forEach(facts::feedJson); // its usage and model, as for any body
    held = null;
    if (carriesToken) {
      facts.firstTokenAt(System.nanoTime()); // the client's first token is in this one write
    }
    forward(stream);
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
}
