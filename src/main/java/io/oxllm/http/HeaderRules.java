package io.oxllm.http;

import io.oxllm.config.ProviderConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Which headers cross the gateway (SPEC section 3). Upstream: an allow-list built from scratch, so
 * the client's Authorization, cookies and anything else never leak to a provider. Downstream: the
 * upstream's status, Content-Type and {@code x-ratelimit-*}, plus the gateway's own headers.
 */
final class HeaderRules {
  static final String VERSION = io.oxllm.Version.VALUE;
  static final CharSequence USER_AGENT = HttpHeaders.createOptimized("oxllm/" + VERSION);
  static final CharSequence X_REQUEST_ID = HttpHeaders.createOptimized("x-request-id");
  static final CharSequence X_UPSTREAM_REQUEST_ID = HttpHeaders.createOptimized("x-upstream-request-id");
  static final CharSequence X_PROVIDER = HttpHeaders.createOptimized("x-oxllm-provider");
  static final CharSequence X_MODEL = HttpHeaders.createOptimized("x-oxllm-model");
  static final CharSequence X_ATTEMPTS = HttpHeaders.createOptimized("x-oxllm-attempts");
  /** Not a standard header; the OpenAI SDKs obey it before their own retry rules. */
  static final CharSequence X_SHOULD_RETRY = HttpHeaders.createOptimized("x-should-retry");
  static final CharSequence JSON = HttpHeaders.createOptimized("application/json");
  static final CharSequence TRACEPARENT = HttpHeaders.createOptimized("traceparent");
  private static final CharSequence TRACESTATE = HttpHeaders.createOptimized("tracestate");
  /** The most of a client's {@code tracestate} kept: what W3C Trace Context asks a vendor to propagate at least. */
  static final int TRACESTATE_MAX = 512;
  private static final int TRACESTATE_LONG_MEMBER = 128;
  static final CharSequence IDENTITY = HttpHeaders.createOptimized("identity");
  private static final CharSequence NO_CACHE = HttpHeaders.createOptimized("no-cache");
  private static final CharSequence X_ACCEL_BUFFERING = HttpHeaders.createOptimized("x-accel-buffering");
  private static final CharSequence NO = HttpHeaders.createOptimized("no");

  private HeaderRules() {}

  /**
   * Writes the headers of one upstream attempt into {@code h}, the attempt's request headers, still
   * empty: the gateway's own are added (no lookup for one to replace), then the provider's configured
   * ones (config.ProviderHeaders keeps those from naming any of the gateway's, or a hop-by-hop one).
   * Of the client's, only Accept and tracestate cross, unless its Connection header names them.
   *
   * @param traceparent names this attempt's span as the upstream's parent (the client's is never forwarded as is)
   * @param tracestate the client's ({@link #traceState}), when its traceparent was valid; else null
   */
  static void upstream(ProviderConfig provider, MultiMap client, String requestId, String traceparent,
      String tracestate, MultiMap h) {
    h.add(HttpHeaders.CONTENT_TYPE, JSON);
    String hop = hopByHop(client.get(HttpHeaders.CONNECTION));
    String accept = hop == null || !names(hop, "accept") ? client.get(HttpHeaders.ACCEPT) : null;
    h.add(HttpHeaders.ACCEPT, accept != null ? accept : "application/json, text/event-stream");
    // the usage tap reads the bytes, so they must not arrive compressed
    h.add(HttpHeaders.ACCEPT_ENCODING, IDENTITY);
    h.add(HttpHeaders.USER_AGENT, USER_AGENT);
    h.add(X_REQUEST_ID, requestId);
    h.add(TRACEPARENT, traceparent);
    if (tracestate != null && (hop == null || !names(hop, "tracestate"))) {
      h.add(TRACESTATE, tracestate);
    }
    if (provider.hasApiKey()) {
      h.add(HttpHeaders.AUTHORIZATION, "Bearer " + provider.apiKey());
    }
    for (Map.Entry<String, String> e : provider.headers().entrySet()) {
      h.set(e.getKey(), e.getValue());
    }
  }

  /**
   * The client's {@code tracestate}: its lines joined with commas, as W3C Trace Context combines
   * them (RFC 9110 section 5.3), empty ones left out (they would be empty list members, which the
   * spec says not to send); null when it sent none that is not empty. Past
   * {@value #TRACESTATE_MAX} characters it is cut as the spec says a vendor may
   * ({@link #cutTraceState}).
   */
  static String traceState(MultiMap client) {
    List<String> lines = client.getAll(TRACESTATE);
    String joined;
    if (lines.size() == 1) {
      joined = lines.get(0).isBlank() ? null : lines.get(0);
    } else {
      StringJoiner all = new StringJoiner(",");
      for (String line : lines) {
        if (!line.isBlank()) {
          all.add(line);
        }
      }
      joined = all.length() == 0 ? null : all.toString();
    }
    return joined == null || joined.length() <= TRACESTATE_MAX ? joined : cutTraceState(joined);
  }

  /**
   * A {@code tracestate} over {@value #TRACESTATE_MAX} characters cut to fit, as W3C Trace Context
   * (section 3.3.1.5) says a vendor may: members over {@value #TRACESTATE_LONG_MEMBER} characters
   * go first, then members from the end. It is on every span of the request, and a client's 7 KB
   * one on each span filled the span buffer's direct memory until the telemetry worker stopped
   * (a telemetry audit); the upstream gets the same cut value. Null when no member is left.
   */
  static String cutTraceState(String tracestate) {
    StringJoiner kept = new StringJoiner(",");
    for (String member : tracestate.split(",")) {
      String m = member.strip();
      if (m.isEmpty() || m.length() > TRACESTATE_LONG_MEMBER) {
        continue;
      }
      if (kept.length() + (kept.length() == 0 ? 0 : 1) + m.length() > TRACESTATE_MAX) {
        break;
      }
      kept.add(m);
    }
    return kept.length() == 0 ? null : kept.toString();
  }

  /**
   * A Connection header's value when it names headers (which are then hop-by-hop, RFC 9110
   * section 7.6.1, and go no further); null for none, {@code keep-alive} or {@code close}.
   */
  static String hopByHop(String connection) {
    if (connection == null || connection.equalsIgnoreCase("keep-alive") || connection.equalsIgnoreCase("close")) {
      return null;
    }
    return connection;
  }

  /** Whether the comma-separated {@code list} names {@code header} (case-insensitively). */
  static boolean names(String list, String header) {
    for (String token : list.split(",")) {
      if (token.trim().equalsIgnoreCase(header)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Copies the upstream headers the client may see: Content-Type, Content-Encoding (the bytes go
   * through as they came, so their encoding must too), Content-Length (non-stream) and x-ratelimit-*.
   */
  static void downstream(MultiMap upstream, MultiMap client, boolean keepLength) {
    String hop = hopByHop(upstream.get(HttpHeaders.CONNECTION));
    for (Map.Entry<String, String> e : upstream) {
      String name = e.getKey();
      if ((name.regionMatches(true, 0, "x-ratelimit-", 0, 12)
          || name.equalsIgnoreCase("content-type")
          || name.equalsIgnoreCase("content-encoding")
          || (keepLength && name.equalsIgnoreCase("content-length"))
          || name.equalsIgnoreCase("retry-after"))
          && (hop == null || !names(hop, name))) {
        client.add(name, e.getValue());
      }
    }
    String upstreamId = upstream.get(X_REQUEST_ID);
    if (upstreamId != null && (hop == null || !names(hop, "x-request-id"))) {
      client.set(X_UPSTREAM_REQUEST_ID, upstreamId);
    }
  }

  /**
   * A name as a header value (x-oxllm-model): as it is when it is printable ASCII without
   * {@code %} or a space at either end, else percent-encoded UTF-8 (as in a URL), since a header
   * carries bytes, not text: written as it was, {@code 模型} arrived as {@code ??}.
   */
  static String headerText(String name) {
    int last = name.length() - 1;
    for (int i = 0; i <= last; i++) {
      char c = name.charAt(i);
      // a space at either end would be trimmed from the header by every client
      if (c < 0x20 || c > 0x7e || c == '%' || (c == ' ' && (i == 0 || i == last))) {
        return percentEncoded(name);
      }
    }
    return name;
  }

  private static String percentEncoded(String name) {
    StringBuilder out = new StringBuilder(name.length() * 3);
    byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int u = bytes[i] & 0xff;
      if (u < 0x20 || u > 0x7e || u == '%' || (u == ' ' && (i == 0 || i == bytes.length - 1))) {
        out.append('%').append(Character.toUpperCase(Character.forDigit(u >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(u & 0xf, 16)));
      } else {
        out.append((char) u);
      }
    }
    return out.toString();
  }

  /** A stream's own headers to the client, proxied or echoed: no caching, no buffering by a proxy in front. */
  static void stream(MultiMap headers) {
    headers.set(HttpHeaders.CACHE_CONTROL, NO_CACHE).set(X_ACCEL_BUFFERING, NO);
  }
}
