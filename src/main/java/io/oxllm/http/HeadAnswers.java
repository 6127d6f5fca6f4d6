package io.oxllm.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

/**
 * Ends a route's answer with its body, or, to a {@code HEAD}, with the {@code Content-Length} that
 * body has and no body: RFC 9110 section 9.3.2 asks for the same header fields as a GET. Vert.x
 * leaves a HEAD answer's length out (it sets it only for a body it sends), and counted the unsent
 * body as written, so the request log's {@code bytes_out} said it was sent.
 */
public final class HeadAnswers {
  private HeadAnswers() {}

  public static void end(RoutingContext ctx, Buffer body) {
    if (ctx.request().method() == HttpMethod.HEAD) {
      ctx.response().putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(body.length())).end();
    } else {
      ctx.response().end(body);
    }
  }
}
