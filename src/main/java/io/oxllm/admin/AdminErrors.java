package io.oxllm.admin;

import io.oxllm.http.ApiError;
import io.oxllm.http.HeaderRules;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/** Admin errors, in the same OpenAI-shaped JSON as the data plane's (SPEC sections 3 and 6). */
final class AdminErrors {
  private AdminErrors() {}

  /** Sends the error; to a client still waiting for its 100 Continue, then closes (as the API's refusals do). */
  static void send(RoutingContext ctx, int status, String type, String code, String message) {
    boolean close = HeaderRules.awaitsContinue(ctx.request());
    if (close) {
      ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    }
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new ApiError(status, type, code, null, message).toBuffer());
    if (close) {
      ctx.request().connection().close();
    }
  }
}
