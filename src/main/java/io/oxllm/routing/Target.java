package io.oxllm.routing;

import io.oxllm.config.ProviderConfig;

/** One concrete place to send a request: a provider and the model name it knows the request by. */
public record Target(ProviderConfig provider, String upstreamModel) {
  public String providerName() {
    return provider.name();
  }
}
