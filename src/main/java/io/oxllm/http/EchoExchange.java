package io.oxllm.http;

import io.oxllm.routing.Target;
import io.oxllm.upstream.EchoResponses;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/** Answers a request from the built-in echo provider, with the same gateway headers as a proxied answer. */
final class EchoExchange {
  private EchoExchange() {}

  static void answer(HttpServerResponse resp, String path, RequestBody body, Target target, String requestId,
      int attempts) {
    JsonObject json;
    try {
      json = new JsonObject(body.raw());
    } catch (DecodeException e) {
      Errors.send(resp, ApiError.invalidJson(e.getMessage()));
      return;
    }
    EchoResponses.Reply reply = EchoResponses.answer(path, json, target.upstreamModel(), requestId,
        System.currentTimeMillis() / 1000);
    resp.setStatusCode(reply.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, reply.contentType())
        .putHeader(HeaderRules.X_PROVIDER, target.providerName())
        .putHeader(HeaderRules.X_MODEL, target.upstreamModel())
        .putHeader(HeaderRules.X_ATTEMPTS, Integer.toString(attempts));
    if (reply.streaming()) {
      resp.putHeader(HttpHeaders.CACHE_CONTROL, "no-cache").setChunked(true);
      // each event is its own write, so a client sees the words arrive one by one
      for (Buffer chunk : reply.chunks()) {
        resp.write(chunk);
      }
      resp.end();
    } else {
      resp.end(reply.body());
    }
  }
}
