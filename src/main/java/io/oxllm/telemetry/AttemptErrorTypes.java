package io.oxllm.telemetry;

import java.util.List;

/**
 * An attempt span's {@code error.type}: one of a few fixed names for why the attempt failed, as the
 * semantic conventions ask (low cardinality, predictable), not the attempt's error text, which
 * names configured milliseconds and transport messages. The text stays in the request log's
 * attempts and in the 502 message. The names follow the texts' beginnings, which the gateway
 * writes in {@code upstream.UpstreamAttempt}, {@code upstream.AttemptFailure} and
 * {@code http.ResponseRelay}; a text none matches is {@code _OTHER} (the conventions' fallback).
 */
public final class AttemptErrorTypes {
  private record Prefix(String text, String type) {}

  private static final List<Prefix> PREFIXES = List.of(
      new Prefix("connection refused", "connection_refused"),
      new Prefix("connect error", "connect_error"),
      new Prefix("connect timeout", "connect_timeout"),
      new Prefix("connection pool full", "pool_full"),
      new Prefix("no pooled connection free", "pool_timeout"),
      new Prefix("connection reset", "connection_reset"),
      new Prefix("response head over", "response_head_too_large"),
      new Prefix("no first byte", "first_byte_timeout"),
      new Prefix("no data for", "idle_timeout"),
      new Prefix("total timeout", "total_timeout"),
      new Prefix("client closed", "client_closed"),
      new Prefix("the gateway is shutting down", "shutting_down"),
      new Prefix("error event", "error_event"),
      new Prefix("the stream ended before its first event", "no_first_event"),
      new Prefix("no SSE event", "no_first_event"),
      new Prefix("the upstream ended the stream", "stream_interrupted"),
      new Prefix("internal error", "internal_error"),
      new Prefix("unfinished", "unfinished"));

  private AttemptErrorTypes() {}

  /** The type for an attempt's error text; null for null (no error). */
  public static String of(String error) {
    if (error == null) {
      return null;
    }
    for (Prefix p : PREFIXES) {
      if (error.startsWith(p.text())) {
        return p.type();
      }
    }
    return "_OTHER";
  }
}
