package io.oxllm.telemetry;

import io.oxllm.config.HeaderSyntax;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Extra headers for every OTLP export, from {@code OTEL_EXPORTER_OTLP_HEADERS} as the
 * OpenTelemetry SDKs read it: comma-separated {@code name=value} pairs, values percent-encoded
 * (so {@code api-key=a%2Cb} is {@code a,b}), whitespace around either trimmed. Hosted collectors
 * take their API key this way. A pair that is not a valid header (no {@code =}, an empty or
 * invalid name, a CR, LF or NUL in the value, a bad percent escape) or that names a header the
 * sender owns is left out and its name reported; values are never logged or shown.
 */
final class OtlpHeaders {
  static final String VARIABLE = "OTEL_EXPORTER_OTLP_HEADERS";
  // the sender writes these itself: a copy from the environment would contradict it
  private static final Set<String> OWNED = Set.of("content-type", "content-length", "host", "transfer-encoding",
      "connection");

  /** The headers, in order, and the names (or positions) of the pairs left out. */
  record Parsed(Map<String, String> headers, List<String> skipped) {}

  private OtlpHeaders() {}

  /** {@link #parse} of the variable in {@code env} (none when unset or blank). */
  static Parsed fromEnvironment(UnaryOperator<String> env) {
    String value = env.apply(VARIABLE);
    return parse(value == null ? "" : value);
  }

  static Parsed parse(String value) {
    Map<String, String> headers = new LinkedHashMap<>();
    List<String> skipped = new ArrayList<>();
    String[] pairs = value.split(",");
    for (int i = 0; i < pairs.length; i++) {
      String pair = pairs[i].strip();
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? "" : pair.substring(0, eq).strip();
      String decoded = eq < 0 ? null : decode(pair.substring(eq + 1).strip());
      boolean named = HeaderSyntax.validName(name);
      if (!named || decoded == null || !HeaderSyntax.validValue(decoded) || OWNED.contains(name.toLowerCase(Locale.ROOT))) {
        skipped.add(named ? name : "entry " + (i + 1));
        continue;
      }
      headers.put(name, decoded);
    }
    return new Parsed(Collections.unmodifiableMap(headers), List.copyOf(skipped));
  }

  /** Percent-decoding as URLDecoder does it, except that '+' stays '+'; null on a bad escape. */
  private static String decode(String s) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
