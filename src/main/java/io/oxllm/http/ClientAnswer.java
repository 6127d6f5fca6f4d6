package io.oxllm.http;

import io.oxllm.routing.AttemptOutcome.Kind;
import io.oxllm.routing.RetryAfter;
import io.oxllm.routing.Target;
import io.oxllm.telemetry.Outcome;
import io.oxllm.upstream.AttemptError;
import io.oxllm.upstream.UpstreamAttempt;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/**
 * What the client of one {@link ProxyExchange} is answered, and what the request's record says it
 * got: an upstream's answer relayed by a {@link ResponseRelay} (withdrawn if its attempt fails
 * before the commit point, for the next attempt's), the echo provider's, or the gateway's own
 * error. An answer from a target carries the gateway's headers ({@code x-oxllm-provider},
 * {@code x-oxllm-model}, {@code x-oxllm-attempts}); an error, {@code x-oxllm-attempts} once an
 * attempt was made.
 */
final class ClientAnswer {
  private final HttpServerResponse resp;
  private final RequestTrace trace;
  private final int choices;
  private final boolean streamAsked;
  private final boolean usageAsked;
  private Target target; // whose answer the client gets; null: none (yet), or it was withdrawn
  private int status;
  private long retryAfterMs = -1; // a 429's, when the answer is one
  private AnswerFacts facts;
  private Kind endKind; // how a relayed answer ended, told by the relay
  private AttemptError endNote;

  /**
   * @param choices the request's {@code n} ({@link RequestBody#choices})
   * @param streamAsked the request asked for a stream ({@code "stream": true})
   * @param usageAsked it asked for the stream's usage ({@code stream_options.include_usage})
   */
  ClientAnswer(HttpServerResponse resp, RequestTrace trace, int choices, boolean streamAsked, boolean usageAsked) {
    this.resp = resp;
    this.trace = trace;
    this.choices = choices;
    this.streamAsked = streamAsked;
    this.usageAsked = usageAsked;
  }

  /**
   * The upstream's response is the answer: relays it, as a stream when it is SSE the gateway can
   * read, else as a body. Must be called in the callback that delivered the response.
   * {@code attempts}, this one included, goes out in {@code x-oxllm-attempts} at the commit: the
   * count cannot change before it (an attempt that fails first is withdrawn, then the next begins).
   */
  void relay(UpstreamAttempt attempt, HttpClientResponse upstream, RelayListener listener, boolean stripUsage,
      int attempts) {
    target = attempt.target();
    status = upstream.statusCode();
    if (status == 429) { // retry_on without 429: the client gets it, the provider still cools down
      retryAfterMs = RetryAfter.parseMs(upstream.getHeader(RetryAfter.MS_HEADER),
          upstream.getHeader(HttpHeaders.RETRY_AFTER), System.currentTimeMillis());
    }
    ResponseRelay.GatewayHeaders head = r -> gatewayHeaders(r, attempts);
    String type = upstream.getHeader(HttpHeaders.CONTENT_TYPE);
    String encoding = upstream.getHeader(HttpHeaders.CONTENT_ENCODING);
    // an upstream that compressed anyway (it was sent Accept-Encoding: identity) gives bytes no
    // one here can read for events: they go through as a body, with their Content-Encoding
    boolean readable = status < 300 && (encoding == null || encoding.equalsIgnoreCase("identity"));
    ResponseRelay relay = readable && type != null && type.regionMatches(true, 0, "text/event-stream", 0, 17)
        ? new StreamRelay(resp, upstream, attempt, listener, head, stripUsage, choices)
        : new BodyRelay(resp, upstream, attempt, listener, head, readable, streamAsked, usageAsked);
    relay.start();
    facts = relay.facts();
  }

  /** The relayed answer's attempt failed before the commit point: nothing of it reached the client. */
  void withdraw() {
    target = null;
    status = 0;
    retryAfterMs = -1;
    facts = null;
  }

  /** The request's error.type for a relayed answer that ended as the provider's failure. */
  private String failureType() {
    if (facts == null || facts.scanner() == null) {
      return endNote == null ? Integer.toString(status) : "upstream_cut";
    }
    return endNote != null && endNote.type().equals("error_event") ? "error_event" : "stream_interrupted";
  }

  /** The relayed answer ended (see {@link RelayListener#ended}). */
  void ended(Kind kind, AttemptError note) {
    endKind = kind;
    endNote = note;
  }

  /** The echo provider's answer: written now, so record its attempt before (writing it ends the response). */
  Future<Void> echo(Target target, EchoExchange echo, int attempts) {
    this.target = target;
    status = echo.status();
    facts = echo.facts();
    return echo.write(resp, target, attempts);
  }

  /** The gateway's own error is the answer; the client gets it unless it is gone. */
  void error(ApiError error, int attempts, boolean clientGone) {
    trace.fail(error.status() == 404 ? Outcome.REJECTED : Outcome.UPSTREAM_ERROR,
        error.code());
    if (clientGone) {
      return;
    }
    if (attempts > 0) {
      resp.putHeader(HeaderRules.X_ATTEMPTS, Integer.toString(attempts));
    }
    Errors.send(resp, error);
  }

  /** The answer's upstream status (0: none came back, or it was withdrawn). */
  int status() {
    return status;
  }

  /** A 429 answer's Retry-After in milliseconds, or -1 (the default cooldown). */
  long retryAfterMs() {
    return retryAfterMs;
  }

  /** The exchange is over: the record says what the client got, and goes to telemetry. */
  void record(boolean clientGone) {
    if (clientGone) {
      trace.fail(Outcome.CLIENT_CLOSED, AttemptError.CLIENT_CLOSED.type());
    } else if (endKind == Kind.FAILURE && !trace.failed()) {
      // a whole answer with a failing status (a 5xx or 408 not in retry_on) is typed by its status,
      // as the HTTP conventions do; a body or stream cut short by what went wrong; a stream that
      // ran to its end by the error event it carried
      trace.fail(Outcome.UPSTREAM_ERROR, failureType());
    } else if (target != null && status >= 400 && !trace.failed()) {
      // an upstream's 4xx goes to the client as it came and is no failure of the provider's, but
      // the request did not succeed: the record says so, typed by the status
      trace.fail(Outcome.UPSTREAM_ERROR, Integer.toString(status));
    }
    // 499 (as nginx logs it): the client left before any answer was sent (Vert.x's status code
    // is 200 until one is set, so it says nothing unless the head went out)
    int sent = target != null ? status : resp.headWritten() ? resp.getStatusCode() : 499;
    trace.emit(target, sent, facts, resp.bytesWritten());
  }

  private void gatewayHeaders(HttpServerResponse r, int attempts) {
    r.headers()
        .set(HeaderRules.X_PROVIDER, target.providerName())
        .set(HeaderRules.X_MODEL, HeaderRules.headerText(target.upstreamModel()))
        .set(HeaderRules.X_ATTEMPTS, Integer.toString(attempts));
  }
}
