package io.oxllm.config;

import java.util.List;
import java.util.Map;

/**
 * The whole validated configuration: an immutable snapshot. Built only by {@link ConfigParser};
 * a request keeps the snapshot it started with, so a reload never changes a request mid-flight.
 */
public record GatewayConfig(
    ServerConfig server,
    AuthConfig auth,
    RoutingConfig routing,
    Timeouts timeouts,
    BreakerConfig breaker,
    TelemetryConfig telemetry,
    List<ProviderConfig> providers,
    Map<String, List<ChainTarget>> virtualModels) {

  public GatewayConfig {
    providers = List.copyOf(providers);
    virtualModels = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(virtualModels));
  }

  /** The provider with this name, or null. */
  public ProviderConfig provider(String name) {
    for (ProviderConfig p : providers) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    return null;
  }
}
