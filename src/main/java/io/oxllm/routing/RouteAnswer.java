package io.oxllm.routing;

/**
 * Routing verticle → HTTP verticle. Either a target to try (at {@code index} of the plan) or, when
 * {@code target} is null, why there is none: {@link Refusal}.
 *
 * @param retryAfterSecs with {@link Refusal#NONE_USABLE}: in how many whole seconds (rounded up)
 *     the soonest target skipped on this walk may be offered again, whether it cools down after a
 *     429 or its circuit is open (0 when no skipped target has a known time: all offline)
 * @param rateLimitedSkips how many targets on this walk were skipped for a rate-limit cooldown
 * @param unhealthySkips how many were skipped because their circuit was open or they were offline
 * @param outOfCreditSkips of the rate-limit skips, how many cool down after a 429 that said the
 *     account is out of credit
 * @param healthId with a target: which provider health offered it, to come back in the attempt's
 *     {@link AttemptOutcome}
 */
public record RouteAnswer(
    RoutePlan plan,
    int index,
    Target target,
    Refusal refusal,
    long retryAfterSecs,
    int rateLimitedSkips,
    int unhealthySkips,
    int outOfCreditSkips,
    long healthId) {

  /** Why no target was given. */
  public enum Refusal { NONE, MODEL_NOT_FOUND, NONE_USABLE }

  static RouteAnswer target(RoutePlan plan, int index, int rateLimitedSkips, int unhealthySkips, long healthId) {
    return new RouteAnswer(plan, index, plan.targets().get(index), Refusal.NONE, 0, rateLimitedSkips, unhealthySkips,
        0, healthId);
  }

  static RouteAnswer modelNotFound() {
    return new RouteAnswer(null, -1, null, Refusal.MODEL_NOT_FOUND, 0, 0, 0, 0, 0);
  }

  static RouteAnswer noneUsable(RoutePlan plan, long retryAfterSecs, int rateLimitedSkips, int unhealthySkips,
      int outOfCreditSkips) {
    return new RouteAnswer(plan, -1, null, Refusal.NONE_USABLE, retryAfterSecs, rateLimitedSkips, unhealthySkips,
        outOfCreditSkips, 0);
  }
}
