package io.oxllm.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Locale;

/** Writes an {@link ApiError} as the response. */
public final class Errors {
  private Errors() {}

  static void send(HttpServerResponse resp, ApiError error) {
    if (resp.ended() || resp.headWritten() || resp.closed()) {
      return;
    }
    resp.setStatusCode(error.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, HeaderRules.JSON)
        .end(error.toBuffer());
  }

  /**
   * A refusal, on the API or the admin routes. One to a client that asked for a 100 before its
   * body and has sent none of it also closes the connection: that client sends no body now, while
   * Vert.x would wait for one to frame the next request, until {@code idle_timeout_secs} (RFC 9110
   * section 10.1.1: say whether the connection stays).
   */
  public static void refuse(HttpServerRequest req, ApiError error) {
    boolean close = awaitsContinue(req);
    if (close) {
      req.response().putHeader(HttpHeaders.CONNECTION, "close");
    }
    send(req.response(), error);
    if (close) {
      req.connection().close();
    }
  }

  private static boolean awaitsContinue(HttpServerRequest req) {
    String expect = req.getHeader(HttpHeaders.EXPECT);
    return expect != null && !req.isEnded() && req.bytesRead() == 0
        && expect.toLowerCase(Locale.ROOT).contains("100-continue");
  }
}
