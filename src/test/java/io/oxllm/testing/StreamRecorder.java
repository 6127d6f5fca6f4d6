package io.oxllm.testing;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Client side of a streaming request through the gateway: like {@link SseCapture} (each
 * {@code data:} event with its arrival time, and how the response finished) plus the raw body
 * bytes, the times the request was sent and the headers arrived, and hooks that run on the
 * client's event loop when the headers or the n-th event arrive (to pause reading, or to drop the
 * connection at an exact point of the stream).
 *
 * <pre>{@code
 * new StreamRecorder().onEvent((rec, n) -> { if (n == 2) rec.request().reset(); })
 *     .post(client, port, StreamRecorder.chatBody("m")).compose(StreamRecorder::done) ...
 * }</pre>
 */
public final class StreamRecorder {
  public static final String CHAT = "/v1/chat/completions";

  private final Buffer raw = Buffer.buffer(); // guarded by itself
  // Both guarded by events. Not copy-on-write: that copies the list per event, O(n^2) over a stream
  // (GBs at 40,000 events), and the client's event loop, which the test upstreams share, fell so far
  // behind that the upstream's own writes waited on it for longer than idle_ms (StreamTimingTest)
  private final List<String> events = new ArrayList<>();
  private final List<Long> arrivals = new ArrayList<>();
  private final List<BiConsumer<StreamRecorder, Integer>> eventHooks = new CopyOnWriteArrayList<>();
  private final List<Consumer<HttpClientResponse>> headerHooks = new CopyOnWriteArrayList<>();
  private final Promise<StreamRecorder> done = Promise.promise();
  private volatile HttpClientRequest request;
  private volatile HttpClientResponse response;
  private volatile MultiMap headers;
  private volatile int status;
  private volatile long sentNanos;
  private volatile long headersNanos;
  private volatile long endNanos;
  private volatile Throwable failure;

  /** {@code {"model": model, "stream": true, "messages": [{"role": "user", "content": text}]}}. */
  public static String chatBody(String model, String text) {
    JsonObject msg = new JsonObject().put("role", "user").put("content", text);
    return new JsonObject().put("model", model).put("stream", true)
        .put("messages", new JsonArray().add(msg)).encode();
  }

  public static String chatBody(String model) {
    return chatBody(model, "hello");
  }

  /** Runs on the client's event loop when the response headers arrive, before any body is read. */
  public StreamRecorder onHeaders(Consumer<HttpClientResponse> hook) {
    headerHooks.add(hook);
    return this;
  }

  /** Runs on the client's event loop after each {@code data:} event, with the count so far (1-based). */
  public StreamRecorder onEvent(BiConsumer<StreamRecorder, Integer> hook) {
    eventHooks.add(hook);
    return this;
  }

  /**
   * POSTs {@code json} to {@code /v1/chat/completions} on 127.0.0.1:{@code port}; completes once
   * the response headers arrived (recording has started then). Fails if no response came.
   */
  public Future<StreamRecorder> post(HttpClient client, int port, String json) {
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(port).setURI(CHAT).putHeader("content-type", "application/json");
    return client.request(opts)
        .compose(req -> {
          request = req;
          sentNanos = System.nanoTime();
          return req.send(Buffer.buffer(json));
        })
        .map(this::attach); // same callback that delivered the response: no data is lost
  }

  private StreamRecorder attach(HttpClientResponse resp) {
    headersNanos = System.nanoTime();
    response = resp;
    status = resp.statusCode();
    headers = MultiMap.caseInsensitiveMultiMap().addAll(resp.headers());
    RecordParser parser = RecordParser.newDelimited("\n\n", rec -> onRecord(rec.toString()));
    resp.handler(chunk -> {
      synchronized (raw) {
        raw.appendBuffer(chunk);
      }
      parser.handle(chunk);
    });
    resp.end().onComplete(ar -> {
      endNanos = System.nanoTime();
      failure = ar.cause();
      done.complete(this);
    });
    headerHooks.forEach(h -> h.accept(resp));
    return this;
  }

  private void onRecord(String block) {
    long now = System.nanoTime();
    for (String line : block.split("\n")) {
      if (line.startsWith("data:")) {
        int n;
        synchronized (events) {
          events.add(line.substring(5).strip());
          arrivals.add(now);
          n = events.size();
        }
        eventHooks.forEach(h -> h.accept(this, n));
      }
    }
  }

  /** Completes (never fails) when the response ended cleanly or broke (see {@link #failure()}). */
  public Future<StreamRecorder> done() {
    return done.future();
  }

  public HttpClientRequest request() {
    return request;
  }

  public HttpClientResponse response() {
    return response;
  }

  public int status() {
    return status;
  }

  public String header(String name) {
    return headers.get(name);
  }

  public MultiMap headers() {
    return headers;
  }

  /** {@link System#nanoTime()} when the request was sent / the headers arrived / the response finished. */
  public long sentNanos() {
    return sentNanos;
  }

  public long headersNanos() {
    return headersNanos;
  }

  public long endNanos() {
    return endNanos;
  }

  /** Why the response did not end cleanly (connection closed or reset), or null for a clean end. */
  public Throwable failure() {
    return failure;
  }

  /** The body bytes received, exactly as they came. */
  public Buffer raw() {
    synchronized (raw) {
      return raw.copy();
    }
  }

  public String rawString() {
    return raw().toString();
  }

  public List<String> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  /** {@link System#nanoTime()} at which each event was complete on the client. */
  public List<Long> arrivals() {
    synchronized (events) {
      return List.copyOf(arrivals);
    }
  }

  public boolean sawDone() {
    synchronized (events) {
      return events.contains("[DONE]");
    }
  }

  public String lastEvent() {
    List<String> all = events();
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  /** {@code choices[0].delta.content} of each chunk that has one. */
  public List<String> contents() {
    List<String> out = new ArrayList<>();
    for (String e : events()) {
      if (e.equals("[DONE]")) {
        continue;
      }
      JsonArray choices = new JsonObject(e).getJsonArray("choices");
      if (choices != null && !choices.isEmpty()) {
        JsonObject delta = choices.getJsonObject(0).getJsonObject("delta");
        if (delta != null && delta.getString("content") != null) {
          out.add(delta.getString("content"));
        }
      }
    }
    return out;
  }

  public String text() {
    return String.join("", contents());
  }

  /** Events (other than {@code [DONE]}) whose JSON has a top-level {@code error}, parsed. */
  public List<JsonObject> errors() {
    List<JsonObject> out = new ArrayList<>();
    for (String e : events()) {
      if (!e.equals("[DONE]") && e.startsWith("{")) {
        JsonObject j = new JsonObject(e);
        if (j.getValue("error") instanceof JsonObject err) {
          out.add(err);
        }
      }
    }
    return out;
  }
}
