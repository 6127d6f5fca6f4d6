package io.oxllm.routing;

/**
 * HTTP verticle → routing verticle: "which target next?". The first query of a request names the
 * model and has no plan; later ones carry the plan from the first answer and the index to resume
 * the walk from.
 */
public record RouteQuery(String model, RoutePlan plan, int fromIndex) {
  public static RouteQuery first(String model) {
    return new RouteQuery(model, null, 0);
  }

  public static RouteQuery next(RoutePlan plan, int fromIndex) {
    return new RouteQuery(plan.requestedModel(), plan, fromIndex);
  }
}
