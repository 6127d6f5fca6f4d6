package io.oxllm.testing;

import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.oxllm.Gateway;
import io.oxllm.config.ConfigParser;
import io.oxllm.config.ConfigResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * Starts a real gateway on 127.0.0.1:0 from a TOML string (parsed and validated exactly as a
 * config file would be) and talks to it over a real socket.
 *
 * <p>The TOML given is prepended with {@code [server] host/port/instances} unless it has its own
 * {@code [server]} table.
 */
public final class GatewayHarness {
  private static final TomlMapper TOML = new TomlMapper();

  private GatewayHarness() {}

  /** A response read whole: status, headers, body. */
  public record Response(int status, MultiMap headers, Buffer body) {
    public String header(String name) {
      return headers.get(name);
    }

    public JsonObject json() {
      return body.length() == 0 ? null : new JsonObject(body);
    }

    /** {@code error.code} of an error body, or null. */
    public String errorCode() {
      JsonObject j = json();
      return j == null || j.getJsonObject("error") == null ? null : j.getJsonObject("error").getString("code");
    }

    public String bodyAsString() {
      return body.toString();
    }
  }

  /** Parses and validates {@code toml}; fails with the problems when it is invalid. */
  public static ConfigResult parse(String toml, Map<String, String> env) {
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> map = TOML.readValue(toml, Map.class);
      return ConfigParser.parse(new JsonObject(map), env::get);
    } catch (Exception e) {
      throw new IllegalArgumentException("bad test TOML: " + e.getMessage(), e);
    }
  }

  /** Deploys a gateway (1 HTTP instance on an ephemeral port unless the TOML says otherwise). */
  public static Future<Gateway> start(Vertx vertx, String toml) {
    return start(vertx, toml, Map.of());
  }

  public static Future<Gateway> start(Vertx vertx, String toml, Map<String, String> env) {
    String full = toml.contains("[server]") ? toml
        : "[server]\nhost = \"127.0.0.1\"\nport = 0\ninstances = 1\n" + toml;
    ConfigResult result = parse(full, env);
    if (!result.ok()) {
      return Future.failedFuture(new IllegalArgumentException("invalid test config: " + result.problems()));
    }
    return Gateway.deploy(vertx, result.config());
  }

  /**
   * Where each harness client sends from. Vert.x 5.0.8's client can lose the end of a response
   * when the request is sent from a non-Vert.x thread (eclipse-vertx/vert.x#6038, fixed after
   * 5.0.8); tests run on the JUnit thread, so every harness request hops onto one event-loop
   * context first. The gateway's own upstream requests are always sent from its event loop.
   */
  private static final Map<HttpClient, Context> CONTEXTS =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  /** A client for talking to the gateway (keep-alive pool of 16). */
  public static HttpClient client(Vertx vertx) {
    return register(vertx, vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")));
  }

  /** Makes {@link #onContext} (and so {@link #send}) use one event-loop context for this client. */
  public static HttpClient register(Vertx vertx, HttpClient client) {
    CONTEXTS.put(client, vertx.getOrCreateContext());
    return client;
  }

  /** Runs {@code call} on the client's registered context (at once when already there, or unregistered). */
  public static <T> Future<T> onContext(HttpClient client, java.util.function.Supplier<Future<T>> call) {
    Context context = CONTEXTS.get(client);
    if (context == null || Vertx.currentContext() == context) {
      return call.get();
    }
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> call.get().onComplete(promise));
    return promise.future();
  }

  /** POSTs a JSON body and reads the whole response. */
  public static Future<Response> post(HttpClient client, int port, String path, String json) {
    return send(client, port, HttpMethod.POST, path, MultiMap.caseInsensitiveMultiMap()
        .add("content-type", "application/json"), json == null ? null : Buffer.buffer(json));
  }

  public static Future<Response> send(HttpClient client, int port, HttpMethod method, String path,
      MultiMap headers, Buffer body) {
    Context context = CONTEXTS.get(client);
    if (context != null && Vertx.currentContext() != context) {
      return onContext(client, () -> send(client, port, method, path, headers, body));
    }
    RequestOptions opts = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port)
        .setURI(path).setHeaders(headers);
    return client.request(opts)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), resp.headers(), b)));
  }

  /** A minimal provider table for a TestUpstream. */
  public static String provider(String name, TestUpstream upstream, String... models) {
    StringBuilder m = new StringBuilder();
    for (String model : models) {
      m.append(m.length() == 0 ? "" : ", ").append('"').append(model).append('"');
    }
    return "[[providers]]\nname = \"" + name + "\"\ntype = \"openai\"\nbase_url = \"" + upstream.baseUrl()
        + "\"\nmodels = [" + m + "]\n";
  }
}
