package io.oxllm.config;

import java.util.List;
import java.util.Map;

/**
 * One {@code [[providers]]} entry. {@code timeouts} is already merged with the global
 * {@code [timeouts]} table. For {@code type = "echo"}, {@code baseUrl} is null and
 * {@code models} defaults to {@code ["echo"]}. {@code injectStreamUsage} is null unless the entry
 * sets it: then {@code [routing]}'s applies.
 */
public record ProviderConfig(
    String name,
    ProviderType type,
    UpstreamUrl baseUrl,
    String apiKey,
    List<String> models,
    boolean enabled,
    Map<String, String> headers,
    int maxConnections,
    Timeouts timeouts,
    Boolean injectStreamUsage) {

  public ProviderConfig {
    models = List.copyOf(models);
    headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
  }

  /** Whether an {@code api_key} is set (empty means none). */
  public boolean hasApiKey() {
    return apiKey != null && !apiKey.isEmpty();
  }

  /** Whether a stream to this provider asks it for usage the client did not ask for (SPEC section 5). */
  public boolean injectsStreamUsage(RoutingConfig routing) {
    return injectStreamUsage == null ? routing.injectStreamUsage() : injectStreamUsage;
  }

  /** Never prints the key. */
  @Override
  public String toString() {
    return "ProviderConfig[" + name + ", " + type + ", " + baseUrl + "]";
  }
}
