package io.oxllm.http;

import io.oxllm.routing.AttemptOutcome;
import io.oxllm.routing.AttemptOutcome.Kind;
import io.oxllm.routing.RouteAnswer;
import io.oxllm.routing.RouteAsk;
import io.oxllm.routing.RouteQuery;
import io.oxllm.routing.RoutingVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.internal.ContextInternal;

/**
 * The HTTP side of the two messages to the routing verticle (docs/architecture.md, Messages): a
 * route question, answered through a promise bound to the asking context so the answer runs on
 * the request's event loop, and an attempt's outcome, fire and forget.
 */
final class RoutingLink {
  // no send timeout: neither message is a request-reply (RouteAsk's answer is a promise)
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private RoutingLink() {}

  /** Which target next; fails at once when no routing verticle listens (NO_HANDLERS). */
  static Future<RouteAnswer> ask(Vertx vertx, RouteQuery query) {
    Promise<RouteAnswer> answer = ((ContextInternal) vertx.getOrCreateContext()).promise();
    // otherwise the routing verticle completes the promise (RoutingVerticle.answer)
    vertx.eventBus().<RouteAsk>sender(RoutingVerticle.ROUTE, LOCAL).write(new RouteAsk(query, answer))
        .onFailure(answer::tryFail);
    return answer.future();
  }

  /**
   * How an attempt ended, to the provider health ({@code healthId}) that offered it; {@code sent}
   * false when it never left the gateway (AttemptOutcome#sent).
   */
  static void report(Vertx vertx, String provider, long healthId, Kind kind, long retryAfterMs, boolean sent) {
    vertx.eventBus().send(RoutingVerticle.OUTCOME,
        new AttemptOutcome(provider, kind, retryAfterMs, healthId, sent), LOCAL);
  }
}
