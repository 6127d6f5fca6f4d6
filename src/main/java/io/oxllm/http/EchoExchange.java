package io.oxllm.http;

import io.oxllm.routing.Target;
import io.oxllm.upstream.EchoResponses;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Answers a request from the built-in echo provider, with the same gateway headers as a proxied
 * answer. In two steps ({@link #reply}, then {@link #write}) so the exchange can record the attempt
 * before the response ends; the facts (tokens, bytes) are read from the reply like any answer's.
 */
final class EchoExchange {
  private final EchoResponses.Reply reply;
  private final AnswerFacts facts;

  private EchoExchange(EchoResponses.Reply reply) {
    this.reply = reply;
    this.facts = reply.streaming() ? AnswerFacts.stream() : AnswerFacts.json();
    for (Buffer chunk : reply.chunks()) {
      facts.addBytesOut(chunk.length());
      if (reply.streaming()) {
        facts.scanner().feed(chunk);
      } else {
        facts.feedJson(chunk);
      }
    }
    if (!reply.streaming()) {
      facts.endJson();
    }
  }

  /** What the echo answer says about itself, read like any upstream answer. */
  AnswerFacts facts() {
    return facts;
  }

  /** The echo answer for this request (a 400 for a body that is not a JSON object). */
  static EchoExchange reply(String path, RequestBody body, Target target, String requestId) {
    JsonObject json;
    try {
      json = new JsonObject(body.raw());
    } catch (DecodeException | ClassCastException e) {
      ApiError error = ApiError.invalidJson(String.valueOf(e.getMessage()));
      return new EchoExchange(new EchoResponses.Reply(error.status(), "application/json", List.of(error.toBuffer())));
    }
    return new EchoExchange(EchoResponses.answer(path, json, target.upstreamModel(), requestId,
        System.currentTimeMillis() / 1000));
  }

  int status() {
    return reply.status();
  }

  void write(HttpServerResponse resp, Target target, int attempts) {
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
