package io.oxllm.config;

import java.util.Set;

/** The {@code [routing]} table. */
public record RoutingConfig(int maxAttempts, Set<Integer> retryOn, boolean injectStreamUsage) {
  public RoutingConfig {
    retryOn = Set.copyOf(retryOn);
  }
}
