package io.oxllm.http;

import io.oxllm.routing.Target;
import io.oxllm.upstream.EchoResponses;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers a request from the built-in echo provider, with the same gateway headers as a proxied
 * answer. In two steps ({@link #reply}, then {@link #write}) so the exchange can record the attempt
 * before the response ends; the facts (tokens, bytes) are read from the reply like any answer's.
 */
final class EchoExchange {
  private final EchoResponses.Reply reply;
  private final List<Buffer> written;
  private final long bytes;
  private final AnswerFacts facts;

  /** {@code stripUsage}: the gateway asked for usage itself; its chunk is counted, not written. */
  private EchoExchange(EchoResponses.Reply reply, boolean stripUsage) {
    this.reply = reply;
    this.facts = reply.streaming() ? AnswerFacts.stream() : AnswerFacts.json();
    List<Buffer> out = new ArrayList<>(reply.chunks().size());
    long length = 0;
    for (int i = 0; i < reply.chunks().size(); i++) {
      Buffer chunk = reply.chunks().get(i);
      if (reply.streaming()) {
        facts.scanner().feed(chunk);
      } else {
        facts.feedJson(chunk);
      }
      if (!(stripUsage && i == reply.usageChunk())) {
        facts.addBytesOut(chunk.length());
        out.add(chunk);
        length += chunk.length();
      }
    }
    this.written = out;
    this.bytes = length;
    if (!reply.streaming()) {
      facts.endJson();
    }
  }

  /** What the echo answer says about itself, read like any upstream answer. */
  AnswerFacts facts() {
    return facts;
  }

  /**
   * The echo answer for this request (a 400 for a body that is not a JSON object). With
   * {@code injectUsage} ({@link RequestBody#wouldInjectUsage}) the echo is asked for usage as an
   * upstream would be, and its usage-only chunk is counted but not written, so a stream's tokens
   * are recorded whether or not the client asked for them.
   */
  static EchoExchange reply(String path, RequestBody body, Target target, String requestId, boolean injectUsage) {
    JsonObject json;
    try {
      // the body an upstream would get (the same splice), the model name left as the client sent it
      json = EchoRequest.read(body.forUpstream(body.model(), injectUsage));
    } catch (IOException e) {
      ApiError error = ApiError.invalidJson(String.valueOf(e.getMessage()));
      return new EchoExchange(new EchoResponses.Reply(error.status(), "application/json", List.of(error.toBuffer())), false);
    }
    return new EchoExchange(EchoResponses.answer(path, json, target.upstreamModel(), requestId,
        System.currentTimeMillis() / 1000), injectUsage);
  }

  int status() {
    return reply.status();
  }

  /** The bytes of the answer's body, all written at once: counted in the body budget till sent. */
  long bytes() {
    return bytes;
  }

  /** Writes the whole answer; the future completes once its last byte has gone to the kernel. */
  Future<Void> write(HttpServerResponse resp, Target target, int attempts) {
    resp.setStatusCode(reply.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, reply.contentType())
        .putHeader(HeaderRules.X_PROVIDER, target.providerName())
        .putHeader(HeaderRules.X_MODEL, HeaderRules.headerText(target.upstreamModel()))
        .putHeader(HeaderRules.X_ATTEMPTS, Integer.toString(attempts));
    if (reply.streaming()) {
      HeaderRules.stream(resp.headers());
      resp.setChunked(true);
      // each event is its own write, so a client sees the words arrive one by one
      for (Buffer chunk : written) {
        resp.write(chunk);
      }
      return resp.end();
    }
    return resp.end(written.size() == 1 ? written.get(0) : reply.body()); // nothing stripped: one chunk
  }
}
