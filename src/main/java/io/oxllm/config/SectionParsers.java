package io.oxllm.config;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Builds the fixed tables ({@code [server]}, {@code [auth]}, {@code [routing]}, {@code [timeouts]},
 * {@code [breaker]}, {@code [telemetry]}) with the defaults of SPEC section 2. Each method reads
 * every known key, then reports unknown ones.
 */
final class SectionParsers {
  /** Upper bound for timeouts: HttpClientOptions takes int milliseconds. */
  static final long MAX_MS = Integer.MAX_VALUE;

  static final Timeouts DEFAULT_TIMEOUTS = new Timeouts(5_000, 60_000, 60_000, 600_000);
  static final List<Integer> DEFAULT_RETRY_ON = List.of(408, 429, 500, 502, 503, 504, 529);

  // An origin is scheme://host[:port]; a path or trailing slash would never match a browser Origin.
  private static final Pattern ORIGIN = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://[^/\\s]+");

  private SectionParsers() {}

  static ServerConfig server(ConfigReader r) {
    String host = r.string("host", "127.0.0.1");
    if (host.isBlank()) {
      r.problem("host", "must not be empty");
    }
    if (host.length() > 2 && host.startsWith("[") && host.endsWith("]") && host.indexOf(':') > 0) {
      host = host.substring(1, host.length() - 1); // "[::1]", as in a URL, names the address ::1
    }
    if (host.indexOf('[') >= 0 || host.indexOf(']') >= 0 || host.indexOf('/') >= 0
        || (host.indexOf(':') >= 0 && host.indexOf(':') == host.lastIndexOf(':'))) {
      // "[::1", "[::1]:80", "127.0.0.1:80", "[localhost]": no address to bind ("port" is its own key)
      r.problem("host", "must be an address or a host name, like 127.0.0.1, ::1 or localhost (the port is"
          + " server.port); got \"" + host + "\"");
    }
    int port = r.intValue("port", 8080, 0, 65535); // 0 = ephemeral (tests)
    ServerConfig.BindFamily family = ServerConfig.BindFamily.IPV4;
    String fam = r.string("bind_family", "ipv4");
    try {
      family = ServerConfig.BindFamily.valueOf(fam.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      r.problem("bind_family", "must be one of ipv4, ipv6, dual; got \"" + fam + "\"");
    }
    int instances = r.intValue("instances", 0, 0, 1024);
    // A request body is held in one Buffer, which is int-indexed.
    long maxBody = r.integer("max_body_bytes", 10_485_760, 1, Integer.MAX_VALUE);
    int grace = r.intValue("shutdown_grace_secs", 30, 0, 86_400);
    String adminToken = r.string("admin_token", "");
    String tokenProblem = HeaderSyntax.tokenProblem(adminToken);
    if (tokenProblem != null) {
      r.problem("admin_token", tokenProblem);
    }
    List<String> cors = r.stringList("cors_origins", List.of("*"), true);
    for (int i = 0; i < cors.size(); i++) {
      String o = cors.get(i);
      if (!o.equals("*") && !ORIGIN.matcher(o).matches()) {
        r.problems().add(new ConfigProblem(ConfigReader.index(r.pathOf("cors_origins"), i),
            "must be \"*\" or an origin like \"https://app.example.com\" (no path, no trailing"
                + " slash), got \"" + o + "\""));
      }
    }
    long scan = r.integer("config_scan_ms", 2000, 100, 86_400_000);
    long bodyTimeout = r.integer("body_timeout_secs", 60, 0, 86_400);
    long idleTimeout = r.integer("idle_timeout_secs", 60, 0, 86_400);
    long bodyMemory = r.integer("body_memory_bytes", 0, 0, Long.MAX_VALUE);
    r.finish();
    return new ServerConfig(host, port, family, instances, maxBody, grace, adminToken, cors, scan, bodyTimeout,
        idleTimeout, bodyMemory);
  }

  static AuthConfig auth(ConfigReader r) {
    // An empty key would make "Authorization: Bearer " valid: reject it rather than drop it.
    List<String> keys = r.stringList("api_keys", List.of(), true);
    for (int i = 0; i < keys.size(); i++) {
      String problem = HeaderSyntax.tokenProblem(keys.get(i));
      if (problem != null) {
        r.problems().add(new ConfigProblem(ConfigReader.index(r.pathOf("api_keys"), i), problem));
      }
    }
    r.finish();
    return new AuthConfig(keys);
  }

  static RoutingConfig routing(ConfigReader r) {
    int maxAttempts = r.intValue("max_attempts", 3, 1, 100);
    List<Integer> retryOn = r.intList("retry_on", DEFAULT_RETRY_ON, 100, 599);
    boolean inject = r.bool("inject_stream_usage", true);
    r.finish();
    return new RoutingConfig(maxAttempts, new java.util.LinkedHashSet<>(retryOn), inject);
  }

  /**
   * The four timeouts; absent keys take their value from {@code base} (the SPEC defaults for the
   * global table, the global table for a provider's override: merged field by field).
   */
  static Timeouts timeouts(ConfigReader r, Timeouts base) {
    long connect = r.integer("connect_ms", base.connectMs(), 1, MAX_MS);
    long firstByte = r.integer("first_byte_ms", base.firstByteMs(), 1, MAX_MS);
    long idle = r.integer("idle_ms", base.idleMs(), 1, MAX_MS);
    long total = r.integer("total_ms", base.totalMs(), 1, MAX_MS);
    r.finish();
    return new Timeouts(connect, firstByte, idle, total);
  }

  static BreakerConfig breaker(ConfigReader r) {
    int threshold = r.intValue("failure_threshold", 3, 1, 1_000_000);
    int before = r.problems().size();
    long base = r.integer("open_base_secs", 60, 1, Long.MAX_VALUE);
    long max = r.integer("open_max_secs", 900, 1, Long.MAX_VALUE);
    // Cross-field checks only when both fields read cleanly, so one typo gives one problem.
    if (r.problems().size() == before && max < base) {
      if (r.has("open_max_secs")) {
        r.problem("open_max_secs", "must be >= open_base_secs (" + base + "), got " + max);
      } else {
        r.problem("open_base_secs", "must be <= open_max_secs (" + max + "), got " + base);
      }
    }
    long decay = r.integer("idle_decay_secs", 300, 1, Long.MAX_VALUE);
    before = r.problems().size();
    long rlDefault = r.integer("rate_limit_default_secs", 30, 1, Long.MAX_VALUE);
    long rlMax = r.integer("rate_limit_max_secs", 3600, 1, Long.MAX_VALUE);
    if (r.problems().size() == before && rlMax < rlDefault) {
      if (r.has("rate_limit_max_secs")) {
        r.problem("rate_limit_max_secs",
            "must be >= rate_limit_default_secs (" + rlDefault + "), got " + rlMax);
      } else {
        r.problem("rate_limit_default_secs",
            "must be <= rate_limit_max_secs (" + rlMax + "), got " + rlDefault);
      }
    }
    r.finish();
    return new BreakerConfig(threshold, base, max, decay, rlDefault, rlMax);
  }

  static TelemetryConfig telemetry(ConfigReader r) {
    String endpoint = r.string("otlp_endpoint", "");
    if (!endpoint.isEmpty()) {
      try {
        String path = UpstreamUrl.parse(endpoint).basePath();
        if (path.endsWith("/v1/traces") || path.endsWith("/v1/metrics")) {
          // the exporter adds them: spans would go to .../v1/traces/v1/traces
          r.problem("otlp_endpoint", "\"" + UpstreamUrl.forMessage(endpoint) + "\" is the collector's base URL, "
              + "without /v1/traces or /v1/metrics, which the gateway adds");
        }
      } catch (IllegalArgumentException e) {
        r.problem("otlp_endpoint", "\"" + UpstreamUrl.forMessage(endpoint) + "\" " + e.getMessage());
      }
    }
    String service = r.string("service_name", "oxllm");
    if (service.isBlank()) {
      r.problem("service_name", "must not be empty");
    }
    int queue = r.intValue("queue_capacity", 1024, 1, 10_000_000);
    String log = r.string("request_log", "");
    long logMax = r.integer("request_log_max_mb", 100, 1, 1_000_000);
    long interval = r.integer("metrics_interval_secs", 10, 1, 86_400);
    r.finish();
    return new TelemetryConfig(endpoint, service, queue, log, logMax, interval);
  }
}
