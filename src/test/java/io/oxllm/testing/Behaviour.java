package io.oxllm.testing;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How {@link TestUpstream} answers one request. Use the factories for the usual OpenAI shapes
 * (JSON, chat completions, SSE chat streams and the ways they break), or a lambda for anything else:
 * {@code up.respond(ex -> ex.response().setStatusCode(418).end())}. Behaviours are stateless, so one
 * instance may serve many requests.
 */
@FunctionalInterface
public interface Behaviour {

  /** Answers the request; runs on the upstream's event loop after the request body arrived. */
  void handle(Exchange ex);

  /** How a scripted stream finishes after its last event. */
  enum Ending {
    /** {@code response.end()} right after the last event: a clean chunked end. */
    END,
    /** Closes the connection {@code gapMs} after the last event, without ending the response. */
    CLOSE,
    /** Writes nothing more and keeps the connection open until the client closes it. */
    STALL
  }

  /** {@code status} with an {@code application/json} body. */
  static Behaviour json(int status, String body) {
    return json(status, body, Map.of());
  }

  /** {@code status} with a JSON body and extra headers (e.g. {@code Retry-After}); they may override content-type. */
  static Behaviour json(int status, String body, Map<String, String> headers) {
    Map<String, String> hs = Map.copyOf(headers);
    return ex -> {
      var resp = ex.response().setStatusCode(status).putHeader("content-type", "application/json");
      hs.forEach(resp::putHeader);
      resp.end(body);
    };
  }

  /** An OpenAI-shaped error body {@code {"error":{"message","type","param","code"}}}. */
  static Behaviour error(int status, String type, String message) {
    return error(status, type, message, Map.of());
  }

  /** An OpenAI-shaped error with extra headers (e.g. {@code Retry-After} on a 429). */
  static Behaviour error(int status, String type, String message, Map<String, String> headers) {
    JsonObject err = new JsonObject()
        .put("message", message).put("type", type).put("param", null).put("code", null);
    return json(status, new JsonObject().put("error", err).encode(), headers);
  }

  /** 200 with a valid {@code chat.completion}; usage is 3 prompt tokens, one completion token per word. */
  static Behaviour chat(String text) {
    // Built per request so each response gets its own id.
    return ex -> json(200, ChatJson.completion(text)).handle(ex);
  }

  /** 200 {@code text/event-stream}: {@code data: <event>} for each event, {@code gapMs} apart (first at once), then a clean end. */
  static Behaviour sse(List<String> events, long gapMs) {
    return stream(events, gapMs, Ending.END);
  }

  /**
   * The general scripted stream: 200 SSE headers, each event {@code gapMs} apart (the first goes out
   * with the headers), then {@code ending}. With no events the headers are flushed on their own.
   */
  static Behaviour stream(List<String> events, long gapMs, Ending ending) {
    List<String> evs = List.copyOf(events);
    return ex -> {
      ex.startSse();
      List<Runnable> steps = new ArrayList<>();
      if (evs.isEmpty()) {
        steps.add(() -> {
          if (ending == Ending.END) {
            ex.end();
          } else {
            ex.response().writeHead(); // headers go out now, with no body yet
          }
        });
      }
      for (int i = 0; i < evs.size(); i++) {
        String e = evs.get(i);
        boolean last = i == evs.size() - 1;
        steps.add(() -> {
          ex.writeEvent(e);
          if (last && ending == Ending.END) {
            ex.end();
          }
        });
      }
      if (ending == Ending.CLOSE) {
        steps.add(ex::closeConnection);
      }
      ex.steps(gapMs, steps);
    };
  }

  /**
   * A complete chat stream: {@code chunks} content deltas {@code "tok0 "}, {@code "tok1 "}, …, a
   * {@code finish_reason: "stop"} chunk and {@code [DONE]}, all {@code gapMs} apart.
   */
  static Behaviour sseChat(int chunks, long gapMs) {
    return ex -> stream(ChatJson.stream(chunks, true, false, true), gapMs, Ending.END).handle(ex);
  }

  /** Like {@link #sseChat} plus an {@code include_usage} chunk (empty choices, usage) before {@code [DONE]}. */
  static Behaviour sseChatWithUsage(int chunks, long gapMs) {
    return ex -> stream(ChatJson.stream(chunks, true, true, true), gapMs, Ending.END).handle(ex);
  }

  /** The content a client assembles from a stream of {@code chunks} content chunks. */
  static String streamText(int chunks) {
    return ChatJson.streamText(chunks);
  }

  /** Accepts the request and never answers (until the client closes the connection). */
  static Behaviour hang() {
    return ex -> { };
  }

  /** Closes the connection without sending any response bytes. */
  static Behaviour resetBeforeHeaders() {
    return Exchange::closeConnection;
  }

  /** Waits {@code ms} (nothing sent) and then behaves like {@code then}. */
  static Behaviour delayHeaders(long ms, Behaviour then) {
    return ex -> ex.after(ms, () -> then.handle(ex));
  }

  /** A chat stream that sends {@code k} content chunks, then closes the connection {@code gapMs} later (no clean end). */
  static Behaviour cutAfter(int k, long gapMs) {
    return ex -> stream(ChatJson.stream(k, false, false, false), gapMs, Ending.CLOSE).handle(ex);
  }

  /** A chat stream that sends {@code k} content chunks, then nothing, keeping the connection open. */
  static Behaviour stallAfter(int k, long gapMs) {
    return ex -> stream(ChatJson.stream(k, false, false, false), gapMs, Ending.STALL).handle(ex);
  }

  /** A chat stream that ends cleanly without {@code [DONE]}, with or without the finish_reason chunk. */
  static Behaviour endWithoutDone(boolean withFinishReason, int chunks, long gapMs) {
    return ex -> stream(ChatJson.stream(chunks, withFinishReason, false, false), gapMs, Ending.END)
        .handle(ex);
  }

  /** 200 + {@code text/event-stream} headers flushed at once, then no event ever. */
  static Behaviour headersThenStall() {
    return stream(List.of(), 0, Ending.STALL);
  }
}
