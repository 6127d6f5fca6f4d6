package io.oxllm.telemetry;

/**
 * Long-lived instances for the strings of a {@link RequestRecord} that repeat from request to
 * request (the path, the models, the finish reason), picked on the request path while the parsed
 * strings are still in its core's cache.
 *
 * <p>Why: the telemetry worker compares those strings with the last requests' to reuse their
 * encodings ({@link RunCache}) and hashes them for the metrics' attributes. A string parsed anew
 * for each request was written by the request's core, and the worker read its bytes on another:
 * {@code String.equals} was 7 % of telemetry's CPU samples at 64 connections. A shared instance
 * is compared by identity and carries its cached hash, so the worker reads nothing of it; that
 * took 0.14 ± 0.12 µs a record off telemetry's threads' 3.3 (docs/performance-history.md).
 */
public final class SharedStrings {
  public static final String CHAT_PATH = "/v1/chat/completions";
  public static final String COMPLETIONS_PATH = "/v1/completions";
  public static final String EMBEDDINGS_PATH = "/v1/embeddings";
  /**
   * The operation of a request to a path that is none of the API's (a refused {@code POST /v1/foo}):
   * its span is named so; the GenAI metrics leave it out, as it is no GenAI operation.
   */
  public static final String OTHER_OPERATION = "other";

  private SharedStrings() {}

  /** The shared instance of one of the API's paths, else {@code path} itself. */
  public static String path(String path) {
    if (CHAT_PATH.equals(path)) {
      return CHAT_PATH;
    }
    if (COMPLETIONS_PATH.equals(path)) {
      return COMPLETIONS_PATH;
    }
    return EMBEDDINGS_PATH.equals(path) ? EMBEDDINGS_PATH : path;
  }

  /** The finish reasons of the OpenAI API as constants, anything else as it is. */
  public static String finishReason(String reason) {
    if (reason == null) {
      return null;
    }
    return switch (reason) {
      case "stop" -> "stop";
      case "length" -> "length";
      case "tool_calls" -> "tool_calls";
      case "content_filter" -> "content_filter";
      case "function_call" -> "function_call";
      default -> reason;
    };
  }

  /** {@code a} or {@code b} when {@code s} equals it (a configured name, say), else {@code s}. */
  public static String sameAs(String s, String a, String b) {
    if (s == null || s == a || s == b) {
      return s;
    }
    if (s.equals(a)) {
      return a;
    }
    return s.equals(b) ? b : s;
  }
}
