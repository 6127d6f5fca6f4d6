package io.oxllm.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The result of the last reload attempt, as {@code /status} and the reload answer show it.
 *
 * @param atMs when it happened (epoch ms)
 * @param trigger what started it: "file change", "SIGHUP", "POST /reload", "startup"
 * @param ok whether the new config was applied
 * @param changed whether it differed from the running one
 * @param errors every problem, when it was rejected
 * @param restartRequired changed settings that only take effect after a restart
 */
public record ReloadStatus(long atMs, String trigger, boolean ok, boolean changed, List<String> errors,
    List<String> restartRequired) {

  public ReloadStatus {
    errors = List.copyOf(errors);
    restartRequired = List.copyOf(restartRequired);
  }

  public static ReloadStatus startup(long atMs) {
    return new ReloadStatus(atMs, "startup", true, true, List.of(), List.of());
  }

  public static ReloadStatus rejected(long atMs, String trigger, List<String> errors) {
    return new ReloadStatus(atMs, trigger, false, false, errors, List.of());
  }

  /**
   * The settings that keep their start values until a restart (SPEC section 8) and that
   * {@code next} sets otherwise than {@code started}, the config the gateway started with.
   */
  public static List<String> restartRequired(GatewayConfig started, GatewayConfig next) {
    List<String> out = new ArrayList<>();
    ServerConfig a = started.server();
    ServerConfig b = next.server();
    if (!a.host().equals(b.host())) {
      out.add("server.host");
    }
    if (a.port() != b.port()) {
      out.add("server.port");
    }
    if (a.bindFamily() != b.bindFamily()) {
      out.add("server.bind_family");
    }
    if (a.instances() != b.instances()) {
      out.add("server.instances");
    }
    if (a.configScanMs() != b.configScanMs()) {
      out.add("server.config_scan_ms");
    }
    // the queue is the request path's and the resource and reader are the metrics' own, made
    // once; the endpoint and the request log follow a reload (Telemetry.reconfigure)
    TelemetryConfig t = started.telemetry();
    TelemetryConfig u = next.telemetry();
    if (t.queueCapacity() != u.queueCapacity()) {
      out.add("telemetry.queue_capacity");
    }
    if (!t.serviceName().equals(u.serviceName())) {
      out.add("telemetry.service_name");
    }
    if (t.metricsIntervalSecs() != u.metricsIntervalSecs()) {
      out.add("telemetry.metrics_interval_secs");
    }
    return out;
  }
}
