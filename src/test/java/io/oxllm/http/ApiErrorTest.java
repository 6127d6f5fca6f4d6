package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The error catalogue against the SPEC section 3 error table. */
class ApiErrorTest {

  static Stream<Arguments> catalogue() {
    return Stream.of(
        Arguments.of("invalidJson", ApiError.invalidJson("boom"), 400, "invalid_request_error", "invalid_json"),
        Arguments.of("missingModel", ApiError.missingModel(), 400, "invalid_request_error", "missing_model"),
        Arguments.of("modelNotFound", ApiError.modelNotFound("nope"), 404, "invalid_request_error", "model_not_found"),
        Arguments.of("tooLarge", ApiError.tooLarge(1024), 413, "invalid_request_error", "request_too_large"),
        Arguments.of("unsupportedMediaType", ApiError.unsupportedMediaType("text/plain"), 415,
            "invalid_request_error", "unsupported_media_type"),
        Arguments.of("invalidApiKey", ApiError.invalidApiKey(), 401, "authentication_error", "invalid_api_key"),
        Arguments.of("notFound", ApiError.notFound("/v2/x"), 404, "invalid_request_error", null),
        Arguments.of("methodNotAllowed", ApiError.methodNotAllowed("DELETE", "/v1/models"), 405,
            "invalid_request_error", null),
        Arguments.of("allRateLimited", ApiError.allRateLimited(7), 429, "rate_limit_error",
            "all_providers_rate_limited"),
        Arguments.of("noHealthyProvider", ApiError.noHealthyProvider("smart"), 503, "service_unavailable",
            "no_healthy_provider"),
        Arguments.of("allProvidersFailed", ApiError.allProvidersFailed("a: 500, b: connect refused"), 502,
            "upstream_error", "all_providers_failed"),
        Arguments.of("poolsExhausted", ApiError.poolsExhausted("m", "a: connection pool full (0 ms)"), 503,
            "service_unavailable", "connection_pool_exhausted"),
        Arguments.of("shuttingDown", ApiError.shuttingDown(), 503, "service_unavailable", "shutting_down"),
        Arguments.of("internal", ApiError.internal("oops"), 500, null, null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("catalogue")
  void statusTypeAndCodeMatchTheSpec(String name, ApiError e, int status, String type, String code) {
    assertEquals(status, e.status(), name);
    if (type != null) {
      assertEquals(type, e.type(), name);
    } else {
      assertTrue(e.type() != null && !e.type().isEmpty(), name);
    }
    if (code != null) {
      assertEquals(code, e.code(), name);
    } else {
      // The SPEC does not name these codes; they must still be present.
      assertTrue(e.code() != null && !e.code().isEmpty(), name);
    }
    assertTrue(e.message() != null && !e.message().isEmpty(), name);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("catalogue")
  void bodyHasExactlyTheFourOpenAiKeys(String name, ApiError e) {
    JsonObject body = new JsonObject(e.toBuffer());
    assertEquals(Set.of("error"), body.fieldNames(), name);
    JsonObject error = body.getJsonObject("error");
    assertEquals(Set.of("message", "type", "param", "code"), error.fieldNames(), name);
    // param is present even when null (OpenAI's shape)
    assertTrue(error.containsKey("param"), name);
    assertEquals(e.message(), error.getString("message"), name);
    assertEquals(e.type(), error.getString("type"), name);
    assertEquals(e.param(), error.getString("param"), name);
    assertEquals(e.code(), error.getString("code"), name);
    assertTrue(e.toBuffer().toString().contains("\"param\":null") == (e.param() == null), name);
  }

  @Test
  void missingModelNamesTheParam() {
    assertEquals("model", ApiError.missingModel().param());
  }

  @Test
  void otherErrorsHaveNullParamUnlessAboutTheModel() {
    List<ApiError> nullParam = new ArrayList<>(List.of(
        ApiError.invalidJson("x"), ApiError.tooLarge(1), ApiError.unsupportedMediaType("text/plain"),
        ApiError.invalidApiKey(), ApiError.notFound("/x"), ApiError.methodNotAllowed("GET", "/x"),
        ApiError.allRateLimited(1), ApiError.noHealthyProvider("m"), ApiError.allProvidersFailed("x"),
        ApiError.poolsExhausted("m", "x"), ApiError.shuttingDown()));
    for (ApiError e : nullParam) {
      assertNull(e.param(), e.code());
    }
  }

  @Test
  void messagesCarryTheDetailsAndSurviveJsonEscaping() {
    assertTrue(ApiError.invalidJson("unexpected token").message().contains("unexpected token"));
    assertTrue(ApiError.modelNotFound("my-model").message().contains("my-model"));
    assertTrue(ApiError.tooLarge(10_485_760).message().contains("10485760"));
    assertTrue(ApiError.unsupportedMediaType("text/plain").message().contains("text/plain"));
    assertTrue(ApiError.allRateLimited(42).message().contains("42"));
    assertTrue(ApiError.allProvidersFailed("a: 500, b: timeout").message().contains("a: 500, b: timeout"));
    assertTrue(ApiError.methodNotAllowed("PATCH", "/v1/models").message().contains("PATCH"));

    String nasty = "q\"uote \\ back\nnl </script> 😀";
    ApiError e = ApiError.modelNotFound(nasty);
    JsonObject error = new JsonObject(e.toBuffer()).getJsonObject("error");
    assertTrue(error.getString("message").contains(nasty));
    assertFalse(e.toBuffer().toString().contains("\n"), "newlines are escaped in the body");
  }
}
