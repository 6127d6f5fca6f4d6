package io.oxllm.http;

import io.oxllm.config.RoutingConfig;
import io.oxllm.routing.AttemptOutcome.Kind;
import io.oxllm.routing.RouteAnswer;
import io.oxllm.routing.RoutePlan;
import io.oxllm.routing.RouteQuery;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/**
 * One request's walk along the plan the routing verticle hands out: its route questions, where
 * it stands on the plan, each offered target's outcome reported to the health that offered it
 * (docs/architecture.md, Messages), and the {@link WalkVerdict} once no target is left. Keeps
 * {@link ProxyExchange} to the attempts themselves. Lives on the request's event loop.
 */
final class RouteWalk {
  private final Vertx vertx;
  private final WalkVerdict verdict = new WalkVerdict();
  private RoutePlan plan;
  private int index;
  private long healthId;

  RouteWalk(Vertx vertx) {
    this.vertx = vertx;
  }

  Future<RouteAnswer> first(String model) {
    return RoutingLink.ask(vertx, RouteQuery.first(model));
  }

  /** The next target's question, or null: max_attempts reached, or the plan has no target left. */
  Future<RouteAnswer> next() {
    if (verdict.attempts() >= plan.config().routing().maxAttempts() || index + 1 >= plan.targets().size()) {
      return null;
    }
    return RoutingLink.ask(vertx, RouteQuery.next(plan, index + 1));
  }

  /**
   * An answer that came when the request was over: the routing verticle counts the target it
   * offered as in flight (maybe as its one probe), so it is released.
   */
  void release(RouteAnswer late) {
    if (late.target() != null) {
      RoutingLink.report(vertx, late.target().providerName(), late.healthId(), Kind.NEUTRAL, -1, true);
    }
  }

  /** Whether this answer is the first to carry the plan: the request's record names the model routed as. */
  boolean planned(RouteAnswer answer) {
    if (plan != null) {
      return false;
    }
    plan = answer.plan();
    return plan != null;
  }

  /** The routing verticle offered a target: a real attempt of the walk's. */
  void offered(RouteAnswer answer) {
    plan = answer.plan();
    index = answer.index();
    healthId = answer.healthId();
    verdict.attempted();
  }

  RoutingConfig routing() {
    return plan.config().routing();
  }

  /** The real upstream attempts so far (x-oxllm-attempts). */
  int attempts() {
    return verdict.attempts();
  }

  /** An attempt answered a 429 saying its account is out of credit. */
  void outOfQuota() {
    verdict.outOfQuota();
  }

  /** An attempt answered 429 asking for {@code retryAfterMs} (-1: the default cooldown). */
  void rateLimited(long retryAfterMs) {
    verdict.rateLimited(retryAfterMs, plan.config().breaker());
  }

  /** How the current attempt ended, to the provider health that offered it; {@code sent} as AttemptOutcome#sent. */
  void report(String provider, Kind kind, long retryAfterMs, boolean sent) {
    RoutingLink.report(vertx, provider, healthId, kind, retryAfterMs, sent);
  }

  /**
   * The current attempt never left: our own pool had no free connection. Neutral for its
   * provider, and no real attempt: neither x-oxllm-attempts nor max_attempts counts it (the log's
   * attempts and the error's message still list it).
   */
  void poolBusy(String provider) {
    report(provider, Kind.NEUTRAL, -1, false);
    verdict.poolBusy();
  }

  /**
   * No (further) target: the error the table gives for this walk, its Retry-After and
   * x-should-retry put on {@code resp}. {@code last} is the routing verticle's "none usable"
   * answer, or null when attempts ran out.
   */
  ApiError exhausted(RouteAnswer last, String model, String attemptSummary, HttpServerResponse resp) {
    ApiError error = verdict.answer(last, plan.config().breaker(), model, attemptSummary);
    if (verdict.retryAfterSecs() > 0) {
      resp.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(verdict.retryAfterSecs()));
    }
    if (verdict.hopeless()) {
      resp.putHeader(HeaderRules.X_SHOULD_RETRY, "false");
    }
    return error;
  }
}
