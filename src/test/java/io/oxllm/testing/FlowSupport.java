package io.oxllm.testing;

import io.oxllm.testing.GatewayHarness.Response;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Helpers for the breaker, rate-limit and timeout flow tests: chat requests against a virtual
 * model, the admin {@code /status} of one provider, polling with a deadline (instead of sleeping),
 * sequential runs, and a body reader that records when the response headers, the last chunk and
 * the end (or the cut) arrived.
 */
public final class FlowSupport {
  public static final String CHAT = "/v1/chat/completions";

  private FlowSupport() {}

  /** A client with a pool big enough for {@code poolSize} concurrent requests. */
  public static HttpClient client(Vertx vertx, int poolSize) {
    return GatewayHarness.register(vertx, vertx.httpClientBuilder()
        .with(new HttpClientOptions().setDefaultHost("127.0.0.1"))
        .with(new PoolOptions().setHttp1MaxSize(poolSize))
        .build());
  }

  /** A chat body for {@code model}. */
  public static String chatBody(String model) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  /** How long a test waits for the gateway's answer before calling it hung. */
  public static final long ANSWER_TIMEOUT_MS = 8_000;

  /**
   * One non-stream chat request for {@code model}, read whole. A gateway that never answers fails
   * the future after {@link #ANSWER_TIMEOUT_MS} with a clear message (rather than the test timing out).
   */
  public static Future<Response> chat(HttpClient client, int port, String model) {
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI(CHAT).putHeader("content-type", "application/json").setIdleTimeout(ANSWER_TIMEOUT_MS);
    return GatewayHarness.onContext(client, () -> client.request(opts)
        .compose(req -> req.send(Buffer.buffer(chatBody(model))))
        .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), resp.headers(), b))))
        .recover(err -> Future.failedFuture(new AssertionError(
            "POST " + CHAT + " (model " + model + "): no complete answer from the gateway: " + err, err)));
  }

  /** {@code n} requests one after the other (each starts when the previous one answered). */
  public static Future<List<Response>> sequential(int n, Supplier<Future<Response>> one) {
    List<Response> out = new ArrayList<>();
    Future<Void> f = Future.succeededFuture();
    for (int i = 0; i < n; i++) {
      f = f.compose(v -> one.get()).map(r -> {
        out.add(r);
        return null;
      });
    }
    return f.map(v -> out);
  }

  /**
   * A {@link Behaviour} that holds its answer until {@code gate} completes (or {@code maxMs} passed),
   * then behaves like {@code then}: e.g. a probe that is surely still out while a burst arrives,
   * however slow the machine. The gate is asked when the request arrives.
   */
  public static Behaviour holdUntil(Supplier<Future<?>> gate, long maxMs, Behaviour then) {
    return ex -> {
      Context here = Vertx.currentContext();
      boolean[] once = {false};
      Runnable answer = () -> {
        if (!once[0]) {
          once[0] = true;
          then.handle(ex);
        }
      };
      ex.after(maxMs, answer);
      gate.get().onComplete(ar -> here.runOnContext(v -> ex.after(50, answer)));
    };
  }

  /** {@code GET /status} as JSON (fails unless 200). */
  public static Future<JsonObject> status(HttpClient client, int port) {
    return GatewayHarness.send(client, port, HttpMethod.GET, "/status", MultiMap.caseInsensitiveMultiMap(), null)
        .compose(r -> r.status() == 200 ? Future.succeededFuture(r.json())
            : Future.failedFuture(new AssertionError("GET /status: " + r.status() + " " + r.bodyAsString())));
  }

  /** The {@code /status} entry of provider {@code name}. */
  public static Future<JsonObject> provider(HttpClient client, int port, String name) {
    return status(client, port).map(s -> {
      for (Object o : s.getJsonArray("providers")) {
        JsonObject p = (JsonObject) o;
        if (name.equals(p.getString("name"))) {
          return p;
        }
      }
      throw new AssertionError("no provider " + name + " in /status: " + s.encode());
    });
  }

  /** {@code POST /admin/providers/{name}/{action}} (loopback, no token). */
  public static Future<Response> admin(HttpClient client, int port, String name, String action) {
    return GatewayHarness.send(client, port, HttpMethod.POST, "/admin/providers/" + name + "/" + action,
        MultiMap.caseInsensitiveMultiMap(), null);
  }

  /** An ISO-8601 instant from {@code /status} as epoch ms; 0 for null. */
  public static long epochMs(JsonObject provider, String field) {
    String v = provider.getString(field);
    return v == null ? 0 : Instant.parse(v).toEpochMilli();
  }

  /**
   * Runs {@code action} every {@code intervalMs} until its result satisfies {@code done}, failing
   * with the last result when {@code timeoutMs} has passed.
   */
  public static <T> Future<T> until(Vertx vertx, long timeoutMs, long intervalMs, Supplier<Future<T>> action,
      Predicate<T> done) {
    Promise<T> p = Promise.promise();
    poll(vertx, System.nanoTime() + timeoutMs * 1_000_000, intervalMs, action, done, p);
    return p.future();
  }

  private static <T> void poll(Vertx vertx, long deadline, long intervalMs, Supplier<Future<T>> action,
      Predicate<T> done, Promise<T> p) {
    action.get().onComplete(ar -> {
      try {
        if (ar.succeeded() && done.test(ar.result())) {
          p.complete(ar.result());
        } else if (System.nanoTime() > deadline) {
          p.fail(new AssertionError("condition not met in time; last: "
              + (ar.succeeded() ? ar.result() : ar.cause())));
        } else {
          vertx.setTimer(intervalMs, id -> poll(vertx, deadline, intervalMs, action, done, p));
        }
      } catch (Throwable t) {
        p.fail(t);
      }
    });
  }

  /** Provider {@code name} from {@code /status} once {@code done} holds for it (deadline {@code timeoutMs}). */
  public static Future<JsonObject> providerWhen(Vertx vertx, HttpClient client, int port, String name,
      long timeoutMs, Predicate<JsonObject> done) {
    return until(vertx, timeoutMs, 25, () -> provider(client, port, name), done);
  }

  /**
   * A response read chunk by chunk: status, headers, bytes, and the nanoTimes of the request
   * start, the headers, the last chunk and the end; {@code failure} is set when the body was cut.
   */
  public record Timed(int status, MultiMap headers, Buffer body, long startNanos, long headersNanos,
      long lastChunkNanos, long endNanos, Throwable failure) {
    public long headersAfterMs() {
      return (headersNanos - startNanos) / 1_000_000;
    }

    public long endAfterMs() {
      return (endNanos - startNanos) / 1_000_000;
    }

    public long endAfterHeadersMs() {
      return (endNanos - headersNanos) / 1_000_000;
    }

    public long endAfterLastChunkMs() {
      return (endNanos - lastChunkNanos) / 1_000_000;
    }

    public String header(String name) {
      return headers.get(name);
    }
  }

  /** POSTs {@code json} and reads the body as it comes; completes at the end or at the cut. */
  public static Future<Timed> timed(HttpClient client, int port, String path, String json) {
    long start = System.nanoTime();
    Promise<Timed> p = Promise.promise();
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI(path).putHeader("content-type", "application/json");
    client.request(opts).compose(req -> req.send(Buffer.buffer(json))).onFailure(p::tryFail).onSuccess(resp -> {
      long headers = System.nanoTime();
      Buffer body = Buffer.buffer();
      long[] last = {headers};
      resp.handler(b -> {
        body.appendBuffer(b);
        last[0] = System.nanoTime();
      });
      resp.exceptionHandler(err -> p.tryComplete(new Timed(resp.statusCode(), resp.headers(), body, start,
          headers, last[0], System.nanoTime(), err)));
      resp.endHandler(v -> p.tryComplete(new Timed(resp.statusCode(), resp.headers(), body, start,
          headers, last[0], System.nanoTime(), null)));
    });
    return p.future();
  }
}
