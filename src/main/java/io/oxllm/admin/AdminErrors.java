package io.oxllm.admin;

import io.oxllm.http.ApiError;
import io.oxllm.http.Errors;
import io.vertx.ext.web.RoutingContext;

/** Admin errors, in the same OpenAI-shaped JSON as the data plane's (SPEC sections 3 and 6). */
final class AdminErrors {
  private AdminErrors() {}

  static void send(RoutingContext ctx, int status, String type, String code, String message) {
    Errors.refuse(ctx.request(), new ApiError(status, type, code, null, message));
  }
}
