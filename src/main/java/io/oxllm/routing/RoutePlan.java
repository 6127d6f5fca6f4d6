package io.oxllm.routing;

import io.oxllm.config.GatewayConfig;
import java.util.List;

/**
 * The ordered targets for one request, resolved once against the config snapshot the request
 * started with. Carried by the HTTP side for the rest of the request, so a reload in the middle
 * cannot change what a running request tries next.
 */
public record RoutePlan(GatewayConfig config, String requestedModel, List<Target> targets) {
  public RoutePlan {
    targets = List.copyOf(targets);
  }
}
