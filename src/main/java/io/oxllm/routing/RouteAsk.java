package io.oxllm.routing;

import io.vertx.core.Promise;

/**
 * HTTP verticle → routing verticle on {@link RoutingVerticle#ROUTE}: a query and the asker's promise
 * for its answer. The promise is bound to the asker's context, so completing it on the routing
 * verticle's loop brings the answer back on the asker's. Vert.x's request-reply would do the same
 * with a reply handler registered per request: an entry in the event bus's handler map, a close
 * hook keyed by identity hash (which inflated a monitor per request on JDK 17) and a timer
 * (docs/architecture.md, "Messages").
 */
public record RouteAsk(RouteQuery query, Promise<RouteAnswer> answer) {}
