package io.oxllm.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/** Writes an {@link ApiError} as the response. */
final class Errors {
  private Errors() {}

  static void send(HttpServerResponse resp, ApiError error) {
    if (resp.ended() || resp.headWritten() || resp.closed()) {
      return;
    }
    resp.setStatusCode(error.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, HeaderRules.JSON)
        .end(error.toBuffer());
  }
}
