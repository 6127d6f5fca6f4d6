package io.oxllm.routing;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * The one routing verticle: the single writer of provider health and the config snapshot. Answers
 * {@link RouteQuery} on {@link #ROUTE} and hears {@link AttemptOutcome} on {@link #OUTCOME}. Thin:
 * the decisions are in {@link RouteSelector}.
 */
public final class RoutingVerticle extends VerticleBase {
  /** Request/reply address for route queries (local only). */
  public static final String ROUTE = "oxllm.route";
  /** Fire-and-forget address for attempt outcomes (local only). */
  public static final String OUTCOME = "oxllm.outcome";

  private final GatewayState state;
  private RouteSelector selector;

  public RoutingVerticle(GatewayState state) {
    this.state = state;
  }

  @Override
  public Future<?> start() {
    selector = new RouteSelector(RouteTable.build(state.config()), System::currentTimeMillis);
    state.publish(state.config(), selector.anyUsable());
    MessageConsumer<RouteQuery> route = vertx.eventBus().localConsumer(ROUTE,
        msg -> msg.reply(selector.answer(msg.body())));
    MessageConsumer<AttemptOutcome> outcome = vertx.eventBus().localConsumer(OUTCOME, msg -> {
      selector.record(msg.body());
      state.publishReady(selector.anyUsable());
    });
    return Future.all(route.completion(), outcome.completion());
  }
}
