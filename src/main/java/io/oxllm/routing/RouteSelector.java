package io.oxllm.routing;

import io.oxllm.config.BreakerConfig;
import io.oxllm.config.ProviderConfig;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The routing decisions, as a plain class (the routing verticle only wires it to the event bus):
 * walks a plan from an index, skipping providers that are not available now, and keeps per-provider
 * health ({@link ProviderHealth}: circuit breaker and 429 cooldown) up to date from attempt
 * outcomes. Single-threaded by design: only the routing verticle calls it, including the admin
 * reads and switches ({@link #snapshots}, {@link #setOffline}, {@link #reset}).
 */
public final class RouteSelector {
  /** Added to a provider's {@code total_ms} for the probe lease: the outcome is due by then. */
  static final long PROBE_LEASE_SLACK_MS = 5_000;

  private final LongSupplier clockMs;
  private final DoubleSupplier jitter;
  /** Health by provider name: every provider of the current snapshot (plus stragglers, see healthOf). */
  private Map<String, ProviderHealth> health = new LinkedHashMap<>();
  private long lastHealthId;
  private RouteTable table;

  public RouteSelector(RouteTable table, LongSupplier clockMs) {
    this(table, clockMs, ProviderHealth.RANDOM_JITTER);
  }

  /** With an explicit jitter source for the open periods (tests pass a fixed factor). */
  public RouteSelector(RouteTable table, LongSupplier clockMs, DoubleSupplier jitter) {
    this.clockMs = clockMs;
    this.jitter = jitter;
    swap(table);
  }

  /**
   * Swaps in a new snapshot. Health is keyed by provider name: kept names keep their breaker state
   * under the new {@code [breaker]} rules, new names start fresh, removed names are dropped.
   */
  public void swap(RouteTable newTable) {
    BreakerConfig breaker = newTable.config().breaker();
    Map<String, ProviderHealth> next = new LinkedHashMap<>();
    for (ProviderConfig p : newTable.config().providers()) {
      ProviderHealth h = health.get(p.name());
      if (h == null) {
        h = new ProviderHealth(breaker, jitter, ++lastHealthId);
      } else {
        h.reconfigure(breaker);
      }
      next.put(p.name(), h);
    }
    this.health = next;
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
    int outOfCredit = 0;
    int unhealthy = 0;
    long soonestMs = Long.MAX_VALUE;
    for (int i = query.fromIndex(); i < plan.targets().size(); i++) {
      Target target = plan.targets().get(i);
      ProviderHealth h = healthOf(target.providerName());
      switch (h.availability(now)) {
        case AVAILABLE:
          h.offered(now, target.provider().timeouts().totalMs() + PROBE_LEASE_SLACK_MS);
          return RouteAnswer.target(plan, i, rateLimited, unhealthy, h.id());
        case RATE_LIMITED:
          rateLimited++;
          outOfCredit += h.outOfCredit(now) ? 1 : 0;
          soonestMs = Math.min(soonestMs, h.rateLimitedUntilMs());
          break;
        default:
          unhealthy++;
          soonestMs = Math.min(soonestMs, h.usableAgainMs(now));
      }
    }
    long retryAfterSecs = soonestMs == Long.MAX_VALUE ? 0 : Math.max(1, (soonestMs - now + 999) / 1000);
    return RouteAnswer.noneUsable(plan, retryAfterSecs, rateLimited, unhealthy, outOfCredit);
  }

  /**
   * Hears how an attempt ended. The outcome of an attempt offered by a health a reload has since
   * dropped is not recorded: the provider was removed (and perhaps added again, fresh).
   */
  public void record(AttemptOutcome outcome) {
    ProviderHealth h = outcome.healthId() == 0 ? healthOf(outcome.provider()) : health.get(outcome.provider());
    if (h != null && (outcome.healthId() == 0 || h.id() == outcome.healthId())) {
      h.record(outcome, clockMs.getAsLong());
    }
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

  /** The operator's offline switch; false when no provider has that name. */
  public boolean setOffline(String provider, boolean offline) {
    ProviderHealth h = configured(provider);
    if (h == null) {
      return false;
    }
    h.setOffline(offline);
    return true;
  }

  /** The operator's reset (closed circuit, no cooldown); false when no provider has that name. */
  public boolean reset(String provider) {
    ProviderHealth h = configured(provider);
    if (h == null) {
      return false;
    }
    h.reset();
    return true;
  }

  /** One provider's health for {@code /status}, or null when no provider has that name. */
  public ProviderHealth.Snapshot snapshot(String provider) {
    ProviderHealth h = configured(provider);
    return h == null ? null : h.snapshot(clockMs.getAsLong());
  }

  /** Every configured provider's health for {@code /status}, in config order (unmodifiable). */
  public Map<String, ProviderHealth.Snapshot> snapshots() {
    long now = clockMs.getAsLong();
    Map<String, ProviderHealth.Snapshot> out = new LinkedHashMap<>();
    for (ProviderConfig p : table.config().providers()) {
      out.put(p.name(), healthOf(p.name()).snapshot(now));
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * Health by name, created on first use: a plan from before a reload may still name a provider
   * the new snapshot dropped; its request finishes on it, tracked until the next swap.
   */
  private ProviderHealth healthOf(String provider) {
    return health.computeIfAbsent(provider, k -> new ProviderHealth(table.config().breaker(), jitter, ++lastHealthId));
  }

  /** Health of a provider of the current snapshot, or null. */
  private ProviderHealth configured(String provider) {
    return table.config().provider(provider) == null ? null : healthOf(provider);
  }
}
