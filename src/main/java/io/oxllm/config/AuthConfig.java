package io.oxllm.config;

import java.util.List;

/** The {@code [auth]} table: when {@code apiKeys} is non-empty, /v1/* needs one of them. */
public record AuthConfig(List<String> apiKeys) {
  public AuthConfig {
    apiKeys = List.copyOf(apiKeys);
  }
}
