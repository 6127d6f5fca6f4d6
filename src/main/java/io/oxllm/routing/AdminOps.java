package io.oxllm.routing;

import io.oxllm.Version;
import io.oxllm.config.ChainTarget;
import io.oxllm.config.ProviderConfig;
import io.oxllm.config.ReloadStatus;
import io.oxllm.telemetry.Telemetry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The admin commands the routing verticle answers (it owns the state they read and change):
 * {@code status}, and {@code offline} / {@code online} / {@code reset} of one provider. Runs on the
 * routing verticle's event loop only. Never puts an API key in an answer.
 */
final class AdminOps {
  private final GatewayState state;
  private final ConfigSource source;
  private final Supplier<RouteSelector> selector;
  private final Supplier<ReloadStatus> reload;
  private final Telemetry telemetry;
  private final long startedMs = System.currentTimeMillis();

  /** Without telemetry: {@code /status} then has no {@code telemetry} object and no token totals. */
  AdminOps(GatewayState state, ConfigSource source, Supplier<RouteSelector> selector, Supplier<ReloadStatus> reload) {
    this(state, source, selector, reload, null);
  }

  /** @param telemetry the gateway's telemetry: queue counters and token totals (thread-safe reads) */
  AdminOps(GatewayState state, ConfigSource source, Supplier<RouteSelector> selector, Supplier<ReloadStatus> reload,
      Telemetry telemetry) {
    this.state = state;
    this.source = source;
    this.selector = selector;
    this.reload = reload;
    this.telemetry = telemetry;
  }

  /** Handles one command; the reply always has {@code ok}, and {@code error} when it is false. */
  JsonObject handle(JsonObject command) {
    String op = command.getString("op", "");
    if (op.equals("status")) {
      return status();
    }
    String name = command.getString("provider");
    RouteSelector s = selector.get();
    boolean known = switch (op) {
      case "offline" -> s.setOffline(name, true);
      case "online" -> s.setOffline(name, false);
      case "reset" -> s.reset(name);
      default -> throw new IllegalArgumentException("unknown admin op " + op);
    };
    if (!known) {
      return new JsonObject().put("ok", false).put("error", "unknown provider '" + name + "'");
    }
    ProviderConfig p = state.config().provider(name);
    return new JsonObject().put("ok", true).put("provider", withTokens(provider(p, s.snapshot(name)), name));
  }

  private JsonObject status() {
    RouteSelector s = selector.get();
    JsonArray providers = new JsonArray();
    for (ProviderConfig p : state.config().providers()) {
      providers.add(withTokens(provider(p, s.snapshot(p.name())), p.name()));
    }
    JsonObject virtualModels = new JsonObject();
    for (Map.Entry<String, List<ChainTarget>> e : state.config().virtualModels().entrySet()) {
      JsonArray chain = new JsonArray();
      for (ChainTarget t : e.getValue()) {
        chain.add(new JsonObject().put("provider", t.provider()).put("model", t.model())
            .put("state", effectiveState(s.snapshot(t.provider()))));
      }
      virtualModels.put(e.getKey(), chain);
    }
    JsonObject status = new JsonObject()
        .put("ok", true)
        .put("uptime_secs", (System.currentTimeMillis() - startedMs) / 1000)
        .put("version", Version.VALUE)
        .put("config_path", source.path() == null ? null : source.path().toString())
        .put("ready", state.ready())
        .put("draining", state.draining())
        .put("reload", reloadJson(reload.get()))
        .put("providers", providers)
        .put("virtual_models", virtualModels);
    return telemetry == null ? status : status.put("telemetry", telemetry.statusJson());
  }

  /** Adds the provider's token totals, which the telemetry worker keeps (not the routing state). */
  private JsonObject withTokens(JsonObject provider, String name) {
    if (telemetry == null) {
      return provider;
    }
    return provider.put("input_tokens", telemetry.inputTokens(name)).put("output_tokens", telemetry.outputTokens(name));
  }

  private static JsonObject provider(ProviderConfig p, ProviderHealth.Snapshot h) {
    long now = System.currentTimeMillis();
    return new JsonObject()
        .put("name", p.name())
        .put("type", p.type().configName())
        .put("base_url", p.baseUrl() == null ? null : p.baseUrl().toString())
        .put("enabled", p.enabled())
        .put("state", h.state().name().toLowerCase(java.util.Locale.ROOT))
        .put("consecutive_failures", h.consecutiveFailures())
        .put("open_until", h.state() == ProviderHealth.State.OPEN ? time(h.openUntilMs()) : null)
        .put("rate_limited_until", h.rateLimitedUntilMs() > now ? time(h.rateLimitedUntilMs()) : null)
        .put("offline", h.offline())
        .put("in_flight", h.inFlight())
        .put("requests", h.requests())
        .put("successes", h.successes())
        .put("failures", h.failures())
        .put("last_request_at", time(h.lastRequestAtMs()));
  }

  /** One word for a chain entry: offline, rate_limited, or the circuit state. */
  private static String effectiveState(ProviderHealth.Snapshot h) {
    if (h.offline()) {
      return "offline";
    }
    if (h.rateLimitedUntilMs() > System.currentTimeMillis()) {
      return "rate_limited";
    }
    return h.state().name().toLowerCase(java.util.Locale.ROOT);
  }

  static JsonObject reloadJson(ReloadStatus r) {
    return new JsonObject()
        .put("ok", r.ok())
        .put("at", time(r.atMs()))
        .put("trigger", r.trigger())
        .put("changed", r.changed())
        .put("errors", new JsonArray(List.copyOf(r.errors())))
        .put("restart_required", new JsonArray(List.copyOf(r.restartRequired())));
  }

  private static String time(long epochMs) {
    return epochMs <= 0 ? null : Instant.ofEpochMilli(epochMs).toString();
  }
}
