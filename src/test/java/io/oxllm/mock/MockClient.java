package io.oxllm.mock;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Test-side HTTP client for the mock: whole replies, and SSE streams recorded event by event with
 * arrival times. Blocking helpers run on the JUnit thread, never on an event loop; waits poll a
 * condition with a deadline instead of sleeping and hoping.
 */
final class MockClient {
  static final Duration WAIT = Duration.ofSeconds(10);

  private final HttpClient client;
  private final int port;
  private final Context context;

  MockClient(Vertx vertx, int port) {
    this.client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
    this.port = port;
    // Every request starts on this one event-loop context: Vert.x 5.0.8 can lose a response's end
    // when body()/endHandler are attached on another thread than the connection's (vert.x #6038).
    this.context = vertx.getOrCreateContext();
  }

  /** A whole reply. */
  record Reply(int status, MultiMap headers, Buffer body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** A stream as it arrived: events (the text after "data: "), arrival times, how it ended. */
  static final class Sse {
    final long sentNanos = System.nanoTime();
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<Long> arrivals = new CopyOnWriteArrayList<>();
    final Promise<Void> finished = Promise.promise(); // ended cleanly, or failed with the connection error
    volatile int status;
    volatile MultiMap headers;
    volatile HttpClientRequest request;

    boolean endedCleanly() {
      return finished.future().succeeded();
    }

    Throwable error() {
      return finished.future().cause();
    }

    /** Events that carry content (neither the finish, usage, error nor [DONE] events). */
    long contentEvents() {
      return events.stream().filter(e -> e.contains("\"finish_reason\":null")).count();
    }
  }

  Reply post(String path, String body, String... headers) {
    return await(send(HttpMethod.POST, path, body, headers));
  }

  Reply get(String path) {
    return await(send(HttpMethod.GET, path, null));
  }

  Future<Reply> send(HttpMethod method, String path, String body, String... headers) {
    Promise<Reply> reply = Promise.promise();
    context.runOnContext(v -> client.request(options(method, path, headers))
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b)))
        .onComplete(reply));
    return reply.future();
  }

  /** Starts a streaming POST; the returned recording fills in as events arrive. */
  Sse stream(String path, String body, String... headers) {
    Sse sse = new Sse();
    RecordParser events = RecordParser.newDelimited("\n\n", e -> {
      sse.arrivals.add(System.nanoTime());
      String text = e.toString();
      sse.events.add(text.startsWith("data: ") ? text.substring(6) : text);
    });
    context.runOnContext(v -> client.request(options(HttpMethod.POST, path, headers)).compose(req -> {
      sse.request = req;
      return req.send(body);
    }).onSuccess(resp -> {
      sse.status = resp.statusCode();
      sse.headers = resp.headers();
      resp.handler(events);
      resp.exceptionHandler(sse.finished::tryFail);
      resp.endHandler(end -> sse.finished.tryComplete());
    }).onFailure(sse.finished::tryFail));
    return sse;
  }

  private RequestOptions options(HttpMethod method, String path, String... headers) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path)
        .putHeader("content-type", "application/json");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      o.putHeader(headers[i], headers[i + 1]);
    }
    return o;
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError("no result within " + WAIT.toMillis() + " ms: " + e, e);
    }
  }

  /** The failure of {@code f}, or null when it succeeded; fails when it does neither within {@link #WAIT}. */
  static Throwable failure(Future<?> f) {
    try {
      f.toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("no result within " + WAIT.toMillis() + " ms: " + e, e);
    }
  }

  /** Waits for a stream to end, cleanly or not. */
  static Sse finish(Sse sse) {
    try {
      sse.finished.future().toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      // a connection error: recorded in sse.error()
    } catch (Exception e) {
      throw new AssertionError("stream did not end within " + WAIT.toMillis() + " ms; events " + sse.events, e);
    }
    return sse;
  }

  /** Polls {@code condition} every 10 ms until it holds; fails after {@link #WAIT}. */
  static void eventually(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not true within " + WAIT.toMillis() + " ms: " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
