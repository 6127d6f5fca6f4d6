package io.oxllm.testing;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A programmable fake OpenAI upstream for integration tests: a real Vert.x {@link HttpServer} on
 * {@code 127.0.0.1} with an ephemeral port. Tests script responses ({@link #respond}, {@link
 * #enqueue}) and observe what arrived ({@link #received}) and whether the client (the gateway)
 * dropped the connection before a response ended ({@link #clientClosedCount}, {@link
 * #nextClientClose}). Scripting and observing methods are thread-safe.
 */
public final class TestUpstream {
  /** What a request looked like when its body had fully arrived. */
  public record Received(
      String method, String path, Map<String, List<String>> headers, Buffer body, long arrivedNanos) {

    /** The first value of header {@code name} (case-insensitive), or null. */
    public String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
          return e.getValue().get(0);
        }
      }
      return null;
    }

    public String bodyAsString() {
      return body.toString();
    }

    public JsonObject bodyAsJson() {
      return body.length() == 0 ? null : new JsonObject(body);
    }
  }

  private record RequestWaiter(int count, Promise<Received> promise) {}

  private record CloseWaiter(int count, Promise<Long> promise) {}

  private static final Behaviour DEFAULT = Behaviour.chat("Hello from the test upstream");

  private final Vertx vertx;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final List<Long> clientCloseTimes = new CopyOnWriteArrayList<>();
  private final AtomicInteger clientClosed = new AtomicInteger();
  // Guarded by this: the queue must be polled atomically with recording the request.
  private final Deque<Behaviour> queue = new ArrayDeque<>();
  private final List<RequestWaiter> requestWaiters = new ArrayList<>();
  private final List<CloseWaiter> closeWaiters = new ArrayList<>();
  private final List<Promise<Long>> nextCloseWaiters = new ArrayList<>();
  private Behaviour fallback = DEFAULT;
  private volatile HttpServer server;
  private volatile boolean closing; // our own shutdown closes connections: not a client close

  private TestUpstream(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Starts listening on 127.0.0.1 with an ephemeral port. */
  public static Future<TestUpstream> start(Vertx vertx) {
    return start(vertx, new HttpServerOptions());
  }

  /** {@link #start(Vertx)} with these server options (TLS, say). */
  public static Future<TestUpstream> start(Vertx vertx, HttpServerOptions options) {
    TestUpstream up = new TestUpstream(vertx);
    return vertx.createHttpServer(options)
        .requestHandler(up::handle)
        .listen(0, "127.0.0.1")
        .map(s -> {
          up.server = s;
          return up;
        });
  }

  public int port() {
    return server.actualPort();
  }

  /** {@code http://127.0.0.1:<port>/v1}, the OpenAI-style base URL. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port() + "/v1";
  }

  /** Stops the server and closes its connections (not counted as client closes). */
  public Future<Void> close() {
    closing = true;
    return server.close();
  }

  /** Every request gets {@code b} until changed (after the {@link #enqueue}d ones). Default: a chat completion. */
  public synchronized TestUpstream respond(Behaviour b) {
    fallback = b;
    return this;
  }

  /** Scripts the next requests in order; afterwards {@link #respond}'s behaviour applies again. */
  public synchronized TestUpstream enqueue(Behaviour... b) {
    queue.addAll(Arrays.asList(b));
    return this;
  }

  /** Enqueued behaviours not used yet. */
  public synchronized int pending() {
    return queue.size();
  }

  /** Forgets scripts, recorded requests and close counts; back to the default behaviour. */
  public synchronized TestUpstream reset() {
    queue.clear();
    fallback = DEFAULT;
    received.clear();
    clientCloseTimes.clear();
    clientClosed.set(0);
    return this;
  }

  /** Snapshot of every request received so far, in arrival order. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  /** The most recent request, or null. */
  public Received lastReceived() {
    List<Received> all = received();
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  public int requestCount() {
    return received.size();
  }

  /** Responses whose connection the client closed before the response ended. */
  public int clientClosedCount() {
    return clientClosed.get();
  }

  /** {@link System#nanoTime()} of each client close, in order. */
  public List<Long> clientCloseTimes() {
    return List.copyOf(clientCloseTimes);
  }

  /** Completes (with its nanoTime) at the next client close after this call. */
  public synchronized Future<Long> nextClientClose() {
    Promise<Long> p = Promise.promise();
    nextCloseWaiters.add(p);
    return p.future();
  }

  /** Completes when the {@code n}-th client close (1-based) has happened, with its nanoTime; race-free. */
  public synchronized Future<Long> awaitClientCloses(int n) {
    if (clientCloseTimes.size() >= n) {
      return Future.succeededFuture(clientCloseTimes.get(n - 1));
    }
    Promise<Long> p = Promise.promise();
    closeWaiters.add(new CloseWaiter(n, p));
    return p.future();
  }

  /** Completes with the {@code n}-th received request (1-based) once it has fully arrived. */
  public synchronized Future<Received> awaitRequests(int n) {
    if (received.size() >= n) {
      return Future.succeededFuture(received.get(n - 1));
    }
    Promise<Received> p = Promise.promise();
    requestWaiters.add(new RequestWaiter(n, p));
    return p.future();
  }

  private void handle(HttpServerRequest req) {
    Exchange ex = new Exchange(vertx, req);
    HttpServerResponse resp = req.response();
    resp.closeHandler(v -> onClose(ex, resp));
    resp.exceptionHandler(t -> { }); // peer resets are expected here; the close handler counts them
    req.exceptionHandler(t -> { });
    req.body().onSuccess(body -> {
      Received r = new Received(req.method().name(), req.path(), copy(req.headers()),
          body.copy(), System.nanoTime());
      ex.received(r);
      Behaviour b;
      List<Runnable> ready = new ArrayList<>();
      synchronized (this) {
        received.add(r);
        b = queue.isEmpty() ? fallback : queue.poll();
        requestWaiters.removeIf(w -> {
          if (received.size() < w.count()) {
            return false;
          }
          Received nth = received.get(w.count() - 1);
          ready.add(() -> w.promise().tryComplete(nth));
          return true;
        });
      }
      ready.forEach(Runnable::run); // outside the lock: listeners may call back into us
      try {
        b.handle(ex);
      } catch (RuntimeException e) {
        // A broken script should fail the test loudly, not hang it.
        if (!resp.headWritten()) {
          resp.setStatusCode(500).end("TestUpstream behaviour failed: " + e);
        }
      }
    });
  }

  private void onClose(Exchange ex, HttpServerResponse resp) {
    boolean ended = resp.ended();
    ex.markClosed();
    if (closing || ex.serverClosed() || ended) {
      return;
    }
    long now = System.nanoTime();
    List<Runnable> ready = new ArrayList<>();
    synchronized (this) {
      clientClosed.incrementAndGet();
      clientCloseTimes.add(now);
      nextCloseWaiters.forEach(p -> ready.add(() -> p.tryComplete(now)));
      nextCloseWaiters.clear();
      closeWaiters.removeIf(w -> {
        if (clientCloseTimes.size() < w.count()) {
          return false;
        }
        long nth = clientCloseTimes.get(w.count() - 1);
        ready.add(() -> w.promise().tryComplete(nth));
        return true;
      });
    }
    ready.forEach(Runnable::run);
  }

  private static Map<String, List<String>> copy(MultiMap headers) {
    // Case-insensitive keys so headers().get("authorization") works like header(...)
    Map<String, List<String>> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (Map.Entry<String, String> e : headers) {
      m.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
    }
    m.replaceAll((k, v) -> List.copyOf(v));
    return Collections.unmodifiableMap(m);
  }
}
