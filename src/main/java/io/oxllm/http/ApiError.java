package io.oxllm.http;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;

/**
 * The error catalogue of SPEC section 3: every error the gateway itself produces, in OpenAI's
 * shape {@code {"error":{"message","type","param","code"}}}.
 */
public record ApiError(int status, String type, String code, String param, String message) {

  public static ApiError invalidJson(String why) {
    return new ApiError(400, "invalid_request_error", "invalid_json", null, "Request body is not valid JSON: " + why);
  }

  public static ApiError missingModel() {
    return new ApiError(400, "invalid_request_error", "missing_model", "model",
        "The request body must have a non-empty string field 'model'.");
  }

  public static ApiError invalidModel() {
    return new ApiError(400, "invalid_request_error", "invalid_model", "model",
        "The field 'model' must not contain control characters.");
  }

  public static ApiError modelNotUnicode() {
    return new ApiError(400, "invalid_request_error", "invalid_model", "model",
        "The field 'model' must be Unicode text: it has a surrogate escape (\\ud800 to \\udfff) without its pair.");
  }

  public static ApiError ambiguousFraming() {
    return new ApiError(400, "invalid_request_error", "malformed_request", null,
        "The request's body is framed ambiguously: send either Content-Length or Transfer-Encoding: chunked"
            + " alone.");
  }

  public static ApiError transferEncodingInHttp10() {
    return new ApiError(400, "invalid_request_error", "malformed_request", null,
        "HTTP/1.0 has no Transfer-Encoding: send the body with a Content-Length, or use HTTP/1.1.");
  }

  public static ApiError modelTooLong(int max) {
    return new ApiError(400, "invalid_request_error", "invalid_model", "model",
        "The field 'model' is longer than " + max + " characters.");
  }

  public static ApiError modelNotFound(String model) {
    return new ApiError(404, "invalid_request_error", "model_not_found", "model",
        "The model '" + model + "' does not exist on this gateway.");
  }

  public static ApiError bodyTimeout(long secs) {
    return new ApiError(408, "invalid_request_error", "request_timeout", null,
        "The request body stopped arriving: nothing for " + secs + " s (server.body_timeout_secs).");
  }

  public static ApiError tooLarge(long limit) {
    return new ApiError(413, "invalid_request_error", "request_too_large", null,
        "Request body is larger than the limit of " + limit + " bytes.");
  }

  public static ApiError expectationFailed(String expect) {
    return new ApiError(417, "invalid_request_error", "expectation_failed", null,
        "The gateway meets no expectation but 'Expect: 100-continue'; this request has 'Expect: " + expect + "'.");
  }

  public static ApiError unsupportedMediaType(String contentType) {
    return new ApiError(415, "invalid_request_error", "unsupported_media_type", null,
        "Content-Type must be application/json, not '" + contentType + "'.");
  }

  public static ApiError originNotAllowed(String origin) {
    return new ApiError(403, "invalid_request_error", "origin_not_allowed", null,
        "The origin '" + origin + "' is not in server.cors_origins.");
  }

  public static ApiError invalidApiKey() {
    return new ApiError(401, "authentication_error", "invalid_api_key", null,
        "Missing or invalid API key: send 'Authorization: Bearer <key>'.");
  }

  public static ApiError notFound(String path) {
    return new ApiError(404, "invalid_request_error", "not_found", null, "Unknown path '" + path + "'.");
  }

  public static ApiError methodNotAllowed(String method, String path) {
    return new ApiError(405, "invalid_request_error", "method_not_allowed", null,
        "Method " + method + " is not allowed on '" + path + "'.");
  }

  public static ApiError allRateLimited(long retryAfterSecs) {
    return allRateLimited("this model", retryAfterSecs, "");
  }

  /**
   * Every target answered 429 ({@code attempts} lists what each said) or cools down after one; a
   * cooldown is its provider's, whatever model its 429 was for (SPEC section 4), which the
   * message says rather than "rate limited" about a model no one limited (an SDK audit).
   */
  public static ApiError allRateLimited(String model, long retryAfterSecs, String attempts) {
    String why = attempts.isEmpty() ? "Every provider for " + model + " is cooling down after a 429 it answered"
        : "Every provider for " + model + " is rate limited";
    return new ApiError(429, "rate_limit_error", "all_providers_rate_limited", null,
        why + "; retry after " + retryAfterSecs + " s." + (attempts.isEmpty() ? "" : " Attempts: " + attempts + "."));
  }

  public static ApiError noHealthyProvider(String model) {
    return new ApiError(503, "service_unavailable", "no_healthy_provider", null,
        "No healthy provider for model '" + model + "': every target is offline or its circuit is open.");
  }

  /**
   * Nothing could be tried: {@code unhealthy} targets offline or open, {@code limited} cooling
   * down; the soonest may be tried again in {@code retryAfterSecs} (0: unknown, all offline).
   */
  public static ApiError noHealthyProvider(String model, int unhealthy, int limited, long retryAfterSecs) {
    return noHealthyProvider(model, unhealthy, limited, 0, retryAfterSecs);
  }

  /**
   * As {@link #noHealthyProvider(String, int, int, long)}, {@code outOfCredit} of the rate-limited
   * targets cooling down after a 429 that said their account is out of credit.
   */
  public static ApiError noHealthyProvider(String model, int unhealthy, int limited, int outOfCredit,
      long retryAfterSecs) {
    if (limited == 0 && retryAfterSecs == 0) {
      return noHealthyProvider(model);
    }
    String soonest = retryAfterSecs == 0 ? "" : " (the soonest usable again in " + retryAfterSecs + " s)";
    String credit = outOfCredit == 0 ? "" : " (" + outOfCredit + " of them out of credit: insufficient_quota)";
    String why = limited == 0 ? "every target is offline or its circuit is open"
        : unhealthy + " target(s) offline or with an open circuit, " + limited + " rate limited" + credit;
    return new ApiError(503, "service_unavailable", "no_healthy_provider", null,
        "No healthy provider for model '" + model + "': " + why + soonest + ".");
  }

  /**
   * No upstream failed, but none answered: the gateway's pool had no free connection to some
   * targets, and the others (if any) were rate limited.
   */
  public static ApiError poolsExhausted(String model, String attempts) {
    return new ApiError(503, "service_unavailable", "connection_pool_exhausted", null,
        "No free connection to the providers of model '" + model + "' that are not rate limited (their"
            + " max_connections are in use): " + attempts + ". Retry shortly.");
  }

  public static ApiError allProvidersFailed(String attempts) {
    return new ApiError(502, "upstream_error", "all_providers_failed", null,
        "Every attempt failed: " + attempts + ".");
  }

  /** The request bodies held at once would pass {@code server.body_memory_bytes} ({@code limit}). */
  public static ApiError serverBusy(long limit) {
    return new ApiError(503, "service_unavailable", "server_busy", null,
        "The gateway holds as many request bodies as it may at once (" + limit + " bytes,"
            + " server.body_memory_bytes); retry shortly.");
  }

  public static ApiError shuttingDown() {
    return new ApiError(503, "service_unavailable", "shutting_down", null, "The gateway is shutting down.");
  }

  /**
   * A request Netty's HTTP decoder could not read: a request line or headers longer than the
   * server reads (414, 431; Vert.x's defaults, which the gateway keeps), or anything else
   * malformed (400).
   */
  public static ApiError malformedHttp(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return new ApiError(414, "invalid_request_error", "uri_too_long", null,
          "The request line is longer than the " + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH
              + " bytes the gateway reads.");
    }
    if (cause instanceof FramingDecoder.VersionNotSupported) {
      return new ApiError(505, "invalid_request_error", "http_version_not_supported", null,
          "The gateway speaks HTTP/1.1 (and 1.0), not " + cause.getMessage() + ".");
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return new ApiError(431, "invalid_request_error", "headers_too_large", null,
          "The request headers are larger than the " + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE
              + " bytes the gateway reads.");
    }
    return new ApiError(400, "invalid_request_error", "malformed_request", null,
        "The request is not valid HTTP/1.1"
            + (cause != null && cause.getMessage() != null ? ": " + cause.getMessage() : "."));
  }

  public static ApiError internal(String why) {
    return new ApiError(500, "internal_error", "internal_error", null, why);
  }

  /** The JSON body. */
  public Buffer toBuffer() {
    JsonObject error = new JsonObject()
        .put("message", message)
        .put("type", type)
        .put("param", param)
        .put("code", code);
    return new JsonObject().put("error", error).toBuffer();
  }
}
