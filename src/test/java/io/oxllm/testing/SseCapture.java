package io.oxllm.testing;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Client-side recorder of an SSE response: each {@code data:} event with its arrival time, and how
 * the response finished (clean end or failure). {@link #attach} must be called in the callback that
 * delivered the response, before it returns (Vert.x drops data that arrives without a handler).
 */
public final class SseCapture {
  private final int status;
  private final MultiMap headers;
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final List<Long> arrivals = new CopyOnWriteArrayList<>();
  private final Promise<SseCapture> done = Promise.promise();
  private volatile Throwable failure;

  private SseCapture(HttpClientResponse resp) {
    this.status = resp.statusCode();
    this.headers = MultiMap.caseInsensitiveMultiMap().addAll(resp.headers());
  }

  /** Starts recording {@code resp}; {@link #done()} completes (never fails) when it ends or breaks. */
  public static SseCapture attach(HttpClientResponse resp) {
    SseCapture c = new SseCapture(resp);
    RecordParser parser = RecordParser.newDelimited("\n\n", rec -> c.onEvent(rec.toString()));
    resp.handler(parser);
    resp.end().onComplete(ar -> {
      c.failure = ar.cause();
      c.done.complete(c);
    });
    return c;
  }

  private void onEvent(String raw) {
    long now = System.nanoTime();
    for (String line : raw.split("\n")) {
      if (line.startsWith("data:")) {
        events.add(line.substring(5).strip());
        arrivals.add(now);
      }
    }
  }

  /** Completes when the response ended cleanly or failed (see {@link #failure()}). */
  public Future<SseCapture> done() {
    return done.future();
  }

  public int status() {
    return status;
  }

  public MultiMap headers() {
    return headers;
  }

  /** Payloads of the {@code data:} lines received so far, in order. */
  public List<String> events() {
    return List.copyOf(events);
  }

  /** {@link System#nanoTime()} at which each event was parsed. */
  public List<Long> arrivals() {
    return List.copyOf(arrivals);
  }

  /** Why the response did not end cleanly (e.g. connection closed), or null. */
  public Throwable failure() {
    return failure;
  }

  public boolean sawDone() {
    return events.contains("[DONE]");
  }

  /** {@code choices[0].delta.content} of each chunk that has one. */
  public List<String> contents() {
    List<String> out = new ArrayList<>();
    for (JsonObject c : chunks()) {
      JsonArray choices = c.getJsonArray("choices");
      if (choices != null && !choices.isEmpty()) {
        JsonObject delta = choices.getJsonObject(0).getJsonObject("delta");
        if (delta != null && delta.getString("content") != null) {
          out.add(delta.getString("content"));
        }
      }
    }
    return out;
  }

  /** Every event except {@code [DONE]}, parsed as JSON. */
  public List<JsonObject> chunks() {
    List<JsonObject> out = new ArrayList<>();
    for (String e : events) {
      if (!e.equals("[DONE]")) {
        out.add(new JsonObject(e));
      }
    }
    return out;
  }
}
