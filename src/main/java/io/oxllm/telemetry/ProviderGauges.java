package io.oxllm.telemetry;

import io.oxllm.routing.ProviderHealth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/**
 * One provider's values for the provider gauges, as the routing verticle's {@code status} answer
 * gives them: its circuit state (0 closed, 1 half_open, 2 open), and whether an operator took it
 * offline or a 429 has it cooling down. The circuit alone would show a provider that no request
 * is sent to as healthy.
 */
public record ProviderGauges(int state, boolean offline, boolean rateLimited) {

  /** Each provider's gauges from a whole {@code status} answer, by name. */
  static Map<String, ProviderGauges> byName(JsonObject status) {
    Map<String, ProviderGauges> gauges = new HashMap<>();
    for (Object o : status.getJsonArray("providers", new JsonArray())) {
      JsonObject p = (JsonObject) o;
      gauges.put(p.getString("name"), from(p));
    }
    return gauges;
  }

  /** One provider's gauges from its object in a {@code status} answer (OTLP and {@code /metrics} alike). */
  public static ProviderGauges from(JsonObject provider) {
    return new ProviderGauges(ProviderHealth.State.gaugeValue(provider.getString("state", "closed")),
        provider.getBoolean("offline", false),
        provider.getValue("rate_limited_until") != null); // status names it only while it is in the future
  }
}
