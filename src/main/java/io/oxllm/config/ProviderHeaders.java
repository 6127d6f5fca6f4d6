package io.oxllm.config;

import java.util.Locale;
import java.util.Map;

/**
 * The header names a provider's {@code headers} may not set. The gateway frames each upstream
 * request and names it itself: a configured {@code Content-Length} or {@code Host} desynchronised
 * the pooled connection (the next request on it was read from the middle of this one's body),
 * and a fixed {@code x-request-id} or {@code traceparent} broke every request's correlation. A
 * hop-by-hop name would be dropped on the way out; refusing it says so instead of ignoring it.
 */
final class ProviderHeaders {
  private static final String PER_REQUEST = "is set by the gateway for each request; it cannot be configured";
  private static final String HOP = "is a hop-by-hop header, never forwarded; it cannot be configured";
  private static final Map<String, String> REFUSED = Map.ofEntries(
      Map.entry("host", "is the base_url's host; it cannot be configured"),
      Map.entry("content-length", PER_REQUEST), Map.entry("content-type", PER_REQUEST),
      Map.entry("accept", PER_REQUEST), Map.entry("accept-encoding", PER_REQUEST),
      Map.entry("x-request-id", PER_REQUEST), Map.entry("traceparent", PER_REQUEST),
      Map.entry("tracestate", PER_REQUEST), Map.entry("expect", PER_REQUEST),
      Map.entry("content-encoding", PER_REQUEST),
      Map.entry("connection", HOP), Map.entry("keep-alive", HOP), Map.entry("proxy-authenticate", HOP),
      Map.entry("proxy-authorization", HOP), Map.entry("te", HOP), Map.entry("trailer", HOP),
      Map.entry("transfer-encoding", HOP), Map.entry("upgrade", HOP), Map.entry("proxy-connection", HOP));

  private ProviderHeaders() {}

  /** Why {@code name} may not be configured, or null when it may. */
  static String refusal(String name, boolean hasApiKey) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (hasApiKey && lower.equals("authorization")) {
      return "would replace the api_key's Authorization; give one or the other";
    }
    return REFUSED.get(lower);
  }
}
