package io.oxllm.http;

import io.oxllm.config.ProviderType;
import io.oxllm.routing.AttemptOutcome.Kind;
import io.oxllm.routing.RetryAfter;
import io.oxllm.routing.RouteAnswer;
import io.oxllm.routing.Target;
import io.oxllm.upstream.AttemptError;
import io.oxllm.upstream.AttemptFailure;
import io.oxllm.upstream.UpstreamAttempt;
import io.oxllm.upstream.UpstreamClients;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * One proxied request, from the first route query to the end of the response: makes the attempts
 * its {@link RouteWalk} is offered, one at a time, failing over before the commit point (SPEC
 * section 4), and reports every attempt's outcome through it. What the client gets, and the
 * request's record of it, is its {@link ClientAnswer}'s. Lives on one event loop; no locks.
 */
final class ProxyExchange implements RelayListener {
  private static final System.Logger LOG = System.getLogger("oxllm.http");
  private final Vertx vertx;
  private final HttpServerRequest req;
  private final HttpServerResponse resp;
  private final UpstreamClients clients;
  private final String requestId;
  private final String path;
  private RequestBody body; // null once committed: no attempt follows, and its bytes may go
  private final RequestTrace trace;
  private final RouteWalk walk;
  private UpstreamAttempt current;
  private Target unsent; // offered by the routing verticle, its outcome not yet bound to be reported
  private final ClientAnswer clientAnswer;
  private boolean clientGone;
  private boolean done;
  private boolean stopping;
  private Runnable onFinished = () -> { };
  private Runnable onBodySpent = () -> { };
  private BodyHold hold; // the body's count in the budget, or null: none
  private long holdLimit;

  ProxyExchange(Vertx vertx, HttpServerRequest req, UpstreamClients clients, String requestId, String path,
      RequestBody body, RequestTrace trace) {
    this.vertx = vertx;
    this.req = req;
    this.resp = req.response();
    this.clients = clients;
    this.requestId = requestId;
    this.path = path;
    this.body = body;
    this.trace = trace;
    this.walk = new RouteWalk(vertx);
    this.clientAnswer = new ClientAnswer(resp, trace, body.choices(), body.stream(), body.includeUsage());
  }

  /** Called once when the exchange is over (answered, failed, or the client left). */
  ProxyExchange onFinished(Runnable action) {
    this.onFinished = action;
    return this;
  }

  /** Run once when the response commits: no attempt follows, the request's body may go (and its count). */
  ProxyExchange onBodySpent(Runnable action) {
    this.onBodySpent = action;
    return this;
  }

  /** The body's count in the budget, whose place an echo answer, written whole, takes until sent. */
  ProxyExchange holding(BodyHold hold, long limit) {
    this.hold = hold;
    this.holdLimit = limit;
    return this;
  }

  void start() {
    resp.closeHandler(v -> onClientClosed());
    // on a dropped connection Vert.x runs the end handler before the close handler
    resp.endHandler(v -> {
      if (resp.ended()) {
        finished();
      } else {
        onClientClosed();
      }
    });
    onRouted(walk.first(body.model()));
  }

  private void onRouted(Future<RouteAnswer> routed) {
    routed.onComplete(ar -> {
      if (clientGone || done) {
        if (ar.succeeded()) {
          walk.release(ar.result());
        }
        return;
      }
      if (ar.failed()) {
        respond(ApiError.internal("routing unavailable: " + ar.cause().getMessage()));
        return;
      }
      try {
        onAnswer(ar.result());
      } catch (RuntimeException e) {
        // a bug must cost one request a 500, never leave a client waiting forever, nor the routing
        // verticle counting in flight (maybe as its one probe) an attempt that never went
        if (current != null) {
          current.abort(AttemptError.INTERNAL);
          current = null;
        }
        if (unsent != null) {
          walk.report(unsent.providerName(), Kind.NEUTRAL, -1, false);
          unsent = null;
        }
        trace.endAttempt(0, AttemptError.INTERNAL);
        // the client gets the exception's class; its message may quote the request, so only the log has it
        LOG.log(System.Logger.Level.ERROR, "request " + requestId + " failed inside the gateway", e);
        respond(ApiError.internal("internal error: " + e.getClass().getName() + " (request " + requestId + ")"));
      }
    });
  }

  private void onAnswer(RouteAnswer answer) {
    if (walk.planned(answer)) {
      trace.routedAs(answer.plan().requestedModel());
    }
    switch (answer.refusal()) {
      case MODEL_NOT_FOUND -> respond(ApiError.modelNotFound(body.model()));
      case NONE_USABLE -> exhausted(answer);
      default -> attempt(answer);
    }
  }

  private void attempt(RouteAnswer answer) {
    walk.offered(answer);
    Target target = answer.target();
    unsent = target;
    String traceparent = trace.beginAttempt(target);
    if (target.provider().type() == ProviderType.ECHO) {
      echo(target);
      return;
    }
    UpstreamAttempt attempt = new UpstreamAttempt(vertx, target);
    current = attempt;
    var p = target.provider();
    boolean strip = body.wouldInjectUsage(p.injectsStreamUsage(walk.routing())); // per attempt
    attempt.send(clients.client(p), path, body.forUpstream(target.upstreamModel(), strip),
            h -> HeaderRules.upstream(p, req.headers(), requestId, traceparent, trace.traceState(), h))
        .onComplete(ar -> {
          if (current != attempt) {
            return;
          }
          if (clientGone) {
            attempt.abort(AttemptError.CLIENT_CLOSED);
            ended(Kind.NEUTRAL, AttemptError.CLIENT_CLOSED);
          } else if (ar.failed()) {
            // send() fails with an AttemptFailure; anything else is a bug's, blamed on no one
            if (ar.cause() instanceof AttemptFailure f) {
              failedBeforeCommit(f.error(), f.providersFault());
            } else {
              failedBeforeCommit(new AttemptError(AttemptError.OTHER, String.valueOf(ar.cause())), false);
            }
          } else {
            onResponse(attempt, ar.result(), strip);
          }
        });
    unsent = null; // its outcome now comes to the handler above, whatever it is
  }

  /** The built-in echo provider answers: at once, and whole, so the answer takes its body's count. */
  private void echo(Target target) {
    EchoExchange echo = EchoExchange.reply(path, body, target, requestId,
        body.wouldInjectUsage(target.provider().injectsStreamUsage(walk.routing())));
    unsent = null; // answered: its outcome is reported below
    if (hold != null && !hold.becomeAnswer(echo.bytes(), holdLimit)) {
      // written whole, it would stay in memory unread past the budget, as a body would
      trace.endAttempt(503, null);
      report(target.providerName(), Kind.NEUTRAL, -1);
      resp.putHeader(HttpHeaders.RETRY_AFTER, "1");
      respond(ApiError.serverBusy(holdLimit));
      return;
    }
    trace.endAttempt(echo.status(), null);
    report(target.providerName(), echo.status() < 400 ? Kind.SUCCESS : Kind.NEUTRAL, -1);
    done = true;
    committed(); // the body has been read for the last time (its count stays, as the answer's)
    Future<Void> sent = Future.failedFuture("not written");
    try {
      sent = clientAnswer.echo(target, echo, walk.attempts());
    } finally {
      if (hold != null) {
        hold.releaseWhenSent(sent); // never left counted, should writing throw
      }
    }
  }

  private void onResponse(UpstreamAttempt attempt, HttpClientResponse upstream, boolean stripUsage) {
    int status = upstream.statusCode();
    if (status < 200) {
      upstream.exceptionHandler(e -> { }); // closing under it is ours: not an error to log
      attempt.abandonConnection(AttemptError.interimStatus(status)); // its real answer may still come on it
      failedBeforeCommit(AttemptError.interimStatus(status), true);
      return;
    }
    // a redirect is no answer either: the gateway does not follow one (a base_url to fix)
    if (walk.routing().retryOn().contains(status) || status < 400 && status >= 300) {
      long retryMs = status != 429 ? -1 : RetryAfter.parseMs(upstream.getHeader(RetryAfter.MS_HEADER),
          upstream.getHeader(HttpHeaders.RETRY_AFTER), System.currentTimeMillis());
      trace.attemptAnswered(status);
      RefusedAnswer.read(vertx, upstream, attempt, said -> refused(attempt, said, retryMs));
      return;
    }
    clientAnswer.relay(attempt, upstream, this, stripUsage, walk.attempts());
  }

  /**
   * An answer not relayed (a status in retry_on, a redirect), once what came with it is read: a
   * 429 cools its provider down, anything else counts against it, and the walk goes on. A 429
   * that says the account is out of credit counts for the client as a failed attempt, not a rate
   * limit: "retry after 30 s" would promise what waiting does not bring.
   */
  private void refused(UpstreamAttempt attempt, RefusedAnswer said, long retryMs) {
    if (current != attempt) {
      return;
    }
    current = null;
    // the provider's answer, whatever became of the client meanwhile (an audit saw a client that
    // left inside the body's 50 ms take a 429's cooldown and a 5xx's failure with it)
    report(attempt.target().providerName(), said.status() != 429 ? Kind.FAILURE
        : said.outOfQuota() ? Kind.OUT_OF_CREDIT : Kind.RATE_LIMITED, retryMs);
    if (clientGone) { // it left while the body was read: its record is made already, with the status
      done = true;
      return;
    }
    if (said.outOfQuota()) {
      walk.outOfQuota();
    } else if (said.status() == 429) {
      walk.rateLimited(retryMs);
    }
    trace.endAttempt(said.status(), said.error());
    if (stopping) {
      respond(ApiError.shuttingDown());
    } else {
      next();
    }
  }

  @Override
  public void committed() {
    body = null; // no attempt follows: the bytes may go, and their count with them, while a stream runs
    Runnable spent = onBodySpent;
    onBodySpent = () -> { };
    spent.run();
  }

  @Override
  public void failedBeforeCommit(AttemptError reason) {
    failedBeforeCommit(reason, true);
  }

  /** @param providersFault false when the provider was never reached (our pool was full): neutral for its circuit */
  private void failedBeforeCommit(AttemptError reason, boolean providersFault) {
    UpstreamAttempt attempt = current;
    if (attempt == null) {
      return;
    }
    current = null;
    attempt.finish();
    trace.endAttempt(clientAnswer.status(), reason);
    clientAnswer.withdraw();
    if (!providersFault) {
      walk.poolBusy(attempt.target().providerName()); // nothing was sent
    } else {
      report(attempt.target().providerName(), clientGone || stopping ? Kind.NEUTRAL : Kind.FAILURE, -1);
    }
    if (stopping) {
      respond(ApiError.shuttingDown());
    } else if (!clientGone) {
      next();
    }
  }

  @Override
  public void ended(Kind kind, AttemptError note) {
    UpstreamAttempt attempt = current;
    if (attempt == null) {
      return;
    }
    current = null;
    done = true;
    clientAnswer.ended(kind, note);
    // the client leaving is no failure of the provider's, but it is why the attempt ended
    trace.endAttempt(clientAnswer.status(), kind == Kind.FAILURE || clientGone ? note : null);
    // a stream cut short by our own shutdown says nothing about the provider
    report(attempt.target().providerName(), stopping && kind == Kind.FAILURE ? Kind.NEUTRAL : kind,
        kind == Kind.RATE_LIMITED ? clientAnswer.retryAfterMs() : -1);
  }

  @Override
  public boolean clientGone() {
    return clientGone;
  }

  /** The gateway began to stop: a response not begun yet tells the client not to reuse the connection. */
  void drainStarted() {
    if (!resp.headWritten()) {
      resp.putHeader(HttpHeaders.CONNECTION, "close");
    }
  }

  /**
   * The shutdown grace period is over: end the current attempt now. A committed stream gets the
   * stream_interrupted event; an uncommitted one answers 503 shutting_down instead of failing over.
   */
  void interruptForShutdown() {
    stopping = true;
    if (current != null) {
      current.abort(AttemptError.SHUTTING_DOWN);
    }
  }

  private void finished() {
    clientAnswer.record(clientGone);
    Runnable action = onFinished;
    onFinished = () -> { };
    action.run();
  }

  private void onClientClosed() {
    if (done && current == null) {
      finished();  // e.g. our own reset of a truncated body: no end handler runs, the record is still due
      return;
    }
    clientGone = true;
    if (current != null) {
      current.abort(AttemptError.CLIENT_CLOSED);
    }
    finished();
  }

  private void next() {
    Future<RouteAnswer> routed = walk.next();
    if (routed == null) {
      exhausted(null);
    } else {
      onRouted(routed);
    }
  }

  /** No (further) target: the answer the error table gives for what happened on this walk. */
  private void exhausted(RouteAnswer last) {
    respond(walk.exhausted(last, body.model(), trace.attemptSummary(), resp));
  }

  private void respond(ApiError error) {
    done = true;
    clientAnswer.error(error, walk.attempts(), clientGone);
  }

  /** How the current attempt, sent, ended, to the health that offered it. */
  private void report(String provider, Kind kind, long retryAfterMs) {
    walk.report(provider, kind, retryAfterMs, true);
  }
}
