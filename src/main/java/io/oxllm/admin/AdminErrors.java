package io.oxllm.admin;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Admin errors, in the same OpenAI-shaped JSON as the data plane's (SPEC sections 3 and 6). */
final class AdminErrors {
  private AdminErrors() {}

  static void send(RoutingContext ctx, int status, String type, String code, String message) {
    JsonObject error = new JsonObject().put("message", message).put("type", type).put("param", null).put("code", code);
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("error", error).toBuffer());
  }
}
