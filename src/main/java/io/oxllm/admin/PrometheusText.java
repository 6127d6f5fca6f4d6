package io.oxllm.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@code /metrics} in the Prometheus text exposition format (0.0.4), from the same numbers as
 * {@code /status}: per-provider attempt counters, in-flight, circuit state and offline switch.
 */
final class PrometheusText {
  private PrometheusText() {}

  static String render(JsonObject status) {
    JsonArray providers = status.getJsonArray("providers", new JsonArray());
    StringBuilder out = new StringBuilder();
    out.append("# HELP oxllm_uptime_seconds Seconds since the gateway started.\n")
        .append("# TYPE oxllm_uptime_seconds gauge\n")
        .append("oxllm_uptime_seconds ").append(status.getLong("uptime_secs", 0L)).append('\n');
    metric(out, providers, "oxllm_provider_attempts_total", "counter", "Upstream attempts per provider.", "requests");
    metric(out, providers, "oxllm_provider_successes_total", "counter", "Attempts the provider answered.", "successes");
    metric(out, providers, "oxllm_provider_failures_total", "counter",
        "Attempts that failed (connect error, timeout, 5xx, 408, stream cut).", "failures");
    metric(out, providers, "oxllm_provider_in_flight", "gauge", "Attempts running now.", "in_flight");
    metric(out, providers, "oxllm_provider_consecutive_failures", "gauge", "Failures since the last success.",
        "consecutive_failures");
    out.append("# HELP oxllm_provider_state Circuit state: 0 closed, 1 half_open, 2 open.\n")
        .append("# TYPE oxllm_provider_state gauge\n");
    for (Object o : providers) {
      JsonObject p = (JsonObject) o;
      int v = switch (p.getString("state", "closed")) {
        case "half_open" -> 1;
        case "open" -> 2;
        default -> 0;
      };
      out.append("oxllm_provider_state{provider=\"").append(label(p.getString("name"))).append("\"} ").append(v).append('\n');
    }
    out.append("# HELP oxllm_provider_offline 1 when an operator took the provider offline.\n")
        .append("# TYPE oxllm_provider_offline gauge\n");
    for (Object o : providers) {
      JsonObject p = (JsonObject) o;
      out.append("oxllm_provider_offline{provider=\"").append(label(p.getString("name"))).append("\"} ")
          .append(p.getBoolean("offline", false) ? 1 : 0).append('\n');
    }
    return out.toString();
  }

  private static void metric(StringBuilder out, JsonArray providers, String name, String type, String help, String field) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(' ').append(type).append('\n');
    for (Object o : providers) {
      JsonObject p = (JsonObject) o;
      out.append(name).append("{provider=\"").append(label(p.getString("name"))).append("\"} ")
          .append(p.getLong(field, 0L)).append('\n');
    }
  }

  private static String label(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
