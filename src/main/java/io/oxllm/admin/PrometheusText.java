package io.oxllm.admin;

import io.oxllm.telemetry.ProviderGauges;
import io.oxllm.telemetry.Telemetry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * {@code /metrics} in the Prometheus text exposition format (0.0.4), from the same numbers as
 * {@code /status}: per-provider attempt counters, in-flight, circuit state, offline switch and
 * token totals, the telemetry queue's counters; then the telemetry metrics model (the GenAI
 * histograms, {@code oxllm_telemetry_dropped_total}) — the same instruments OTLP exports.
 */
final class PrometheusText {
  /**
   * Rendered here from the status answer (fresh at each scrape), so left out of the telemetry
   * model's text: one family per name.
   */
  private static final Set<String> RENDERED_HERE =
      Set.of("oxllm.provider.state", "oxllm.provider.offline", "oxllm.provider.rate_limited");

  private PrometheusText() {}

  /** The status numbers only (no telemetry model). */
  static String render(JsonObject status) {
    return render(status, null);
  }

  /** The status numbers, then the telemetry model's families when {@code telemetry} is given. */
  static String render(JsonObject status, Telemetry telemetry) {
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
    perProvider(out, providers, "oxllm_provider_state", "gauge", "Circuit state: 0 closed, 1 half_open, 2 open.",
        p -> ProviderGauges.from(p).state());
    perProvider(out, providers, "oxllm_provider_offline", "gauge", "1 when an operator took the provider offline.",
        p -> ProviderGauges.from(p).offline() ? 1 : 0);
    perProvider(out, providers, "oxllm_provider_rate_limited", "gauge", "1 while the provider cools down after a 429.",
        p -> ProviderGauges.from(p).rateLimited() ? 1 : 0);
    if (!providers.isEmpty() && providers.getJsonObject(0).containsKey("input_tokens")) {
      metric(out, providers, "oxllm_provider_input_tokens_total", "counter",
          "Input (prompt) tokens in the answers of each provider, as the upstream reported them.", "input_tokens");
      metric(out, providers, "oxllm_provider_output_tokens_total", "counter",
          "Output (completion) tokens in the answers of each provider.", "output_tokens");
    }
    JsonObject t = status.getJsonObject("telemetry");
    if (t != null) {
      single(out, "oxllm_telemetry_queue_depth", "gauge", "Request records waiting for the telemetry worker.",
          t.getLong("queue_depth", 0L));
      single(out, "oxllm_telemetry_exported_total", "counter",
          "Request records the telemetry worker has turned into metrics, log lines and spans.", t.getLong("exported", 0L));
      single(out, "oxllm_telemetry_export_failures_total", "counter", "OTLP exports that failed (their batch was dropped).",
          t.getLong("export_failures", 0L));
      single(out, "oxllm_telemetry_spans_dropped_total", "counter",
          "Spans dropped: a failed export, or a collector too slow for the span buffer.", t.getLong("spans_dropped", 0L));
      single(out, "oxllm_telemetry_log_lines_lost_total", "counter",
          "Request log lines lost to I/O errors (an unwritable path, a full disk).", t.getLong("log_lines_lost", 0L));
    }
    if (telemetry != null) {
      out.append(telemetry.prometheusText(RENDERED_HERE));
    }
    return out.toString();
  }

  private static void single(StringBuilder out, String name, String type, String help, long value) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(' ').append(type).append('\n')
        .append(name).append(' ').append(value).append('\n');
  }

  private static void metric(StringBuilder out, JsonArray providers, String name, String type, String help, String field) {
    perProvider(out, providers, name, type, help, p -> p.getLong(field, 0L));
  }

  private static void perProvider(StringBuilder out, JsonArray providers, String name, String type, String help,
      ToLongFunction<JsonObject> value) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(' ').append(type).append('\n');
    for (Object o : providers) {
      JsonObject p = (JsonObject) o;
      out.append(name).append("{provider=\"").append(label(p.getString("name"))).append("\"} ")
          .append(value.applyAsLong(p)).append('\n');
    }
  }

  private static String label(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
