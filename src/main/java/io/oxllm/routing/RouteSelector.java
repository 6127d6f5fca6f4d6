package io.oxllm.routing;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The routing decisions, as a plain class (the routing verticle only wires it to the event bus):
 * walks a plan from an index, skipping providers that are not available now, and keeps per-provider
 * health up to date from attempt outcomes. Single-threaded by design: only the routing verticle
 * calls it.
 */
public final class RouteSelector {
  private final LongSupplier clockMs;
  private final Map<String, ProviderHealth> health = new HashMap<>();
  private RouteTable table;

  public RouteSelector(RouteTable table, LongSupplier clockMs) {
    this.table = table;
    this.clockMs = clockMs;
  }

  /** Swaps in a new snapshot. Health is keyed by provider name, so it survives for kept names. */
  public void swap(RouteTable newTable) {
    this.table = newTable;
  }

  public RouteTable table() {
    return table;
  }

  /** Answers a query: the next usable target at or after the query's index, or why there is none. */
  public RouteAnswer answer(RouteQuery query) {
    RoutePlan plan = query.plan();
    if (plan == null) {
      plan = table.resolve(query.model());
      if (plan == null) {
        return RouteAnswer.modelNotFound();
      }
    }
    long now = clockMs.getAsLong();
    int rateLimited = 0;
    int unhealthy = 0;
    long soonestMs = Long.MAX_VALUE;
    for (int i = query.fromIndex(); i < plan.targets().size(); i++) {
      ProviderHealth h = healthOf(plan.targets().get(i).providerName());
      switch (h.availability(now)) {
        case AVAILABLE:
          return RouteAnswer.target(plan, i, rateLimited, unhealthy);
        case RATE_LIMITED:
          rateLimited++;
          soonestMs = Math.min(soonestMs, h.rateLimitedUntilMs());
          break;
        default:
          unhealthy++;
      }
    }
    long retryAfterSecs = rateLimited == 0 ? 0 : Math.max(1, (soonestMs - now + 999) / 1000);
    return RouteAnswer.noneUsable(plan, retryAfterSecs, rateLimited, unhealthy);
  }

  public void record(AttemptOutcome outcome) {
    healthOf(outcome.provider()).record(outcome, clockMs.getAsLong());
  }

  /** Whether at least one enabled provider of the current snapshot may be offered now. */
  public boolean anyUsable() {
    long now = clockMs.getAsLong();
    for (var p : table.config().providers()) {
      if (p.enabled() && healthOf(p.name()).availability(now) == ProviderHealth.Availability.AVAILABLE) {
        return true;
      }
    }
    return false;
  }

  private ProviderHealth healthOf(String provider) {
    return health.computeIfAbsent(provider, k -> new ProviderHealth());
  }
}
