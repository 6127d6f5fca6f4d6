package io.oxllm.testing;

import static io.oxllm.testing.Polling.await;

import io.oxllm.testing.GatewayHarness.Response;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import java.util.function.Supplier;

/**
 * A Vert.x HTTP client for tests written in blocking style on the JUnit thread. Every call runs
 * on one event-loop context of its own: called from a foreign thread, the Vert.x client may
 * deliver a response on one loop while its body arrives on another, and a body that ends before
 * {@code resp.body()} is attached is lost (the call then never completes).
 */
public final class LoopClient {
  private final HttpClient client;
  private final Context context;

  public LoopClient(Vertx vertx) {
    this.client = GatewayHarness.client(vertx);
    this.context = vertx.getOrCreateContext(); // from a non-Vert.x thread: a new event-loop context
  }

  public HttpClient client() {
    return client;
  }

  /** Runs {@code call} on this client's context and returns its future. */
  public <T> Future<T> onLoop(Supplier<Future<T>> call) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> call.get().onComplete(p));
    return p.future();
  }

  /** A request to 127.0.0.1:{@code port}, read whole; header name/value pairs; {@code body} may be null (JSON otherwise). */
  public Response send(int port, HttpMethod method, String path, String body, String... headers) {
    MultiMap h = ApiChecks.headers(headers);
    if (body != null && !h.contains("content-type")) {
      h.add("content-type", "application/json");
    }
    return await(onLoop(() -> GatewayHarness.send(client, port, method, path, h, body == null ? null : Buffer.buffer(body))));
  }

  /** A non-stream chat completion body for {@code model}. */
  public static String chatBody(String model) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }
}
