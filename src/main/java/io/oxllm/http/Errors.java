package io.oxllm.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.util.function.IntConsumer;

/** Writes an {@link ApiError} as the response. */
final class Errors {
  private Errors() {}

  /** Returns the bytes of the body written, 0 when the response had begun or the client left. */
  static int send(HttpServerResponse resp, ApiError error) {
    return send(resp, error, n -> { });
  }

  /**
   * As above; {@code written} is told the body's size before the response ends, since ending it
   * may run its end handlers (which record the request) at once.
   */
  static int send(HttpServerResponse resp, ApiError error, IntConsumer written) {
    if (resp.ended() || resp.headWritten() || resp.closed()) {
      return 0;
    }
    var body = error.toBuffer();
    written.accept(body.length());
    resp.setStatusCode(error.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, HeaderRules.JSON)
        .end(body);
    return body.length();
  }
}
