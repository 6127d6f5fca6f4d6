package io.oxllm.testing;

import static io.oxllm.testing.Polling.await;

import io.oxllm.Gateway;
import io.oxllm.config.ConfigLoader;
import io.oxllm.config.ConfigResult;
import io.oxllm.routing.ConfigSource;
import io.oxllm.testing.GatewayHarness.Response;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A running in-process gateway driven from the JUnit thread with blocking calls over a real
 * socket. {@link #fromFile} starts it the way {@code Main} does: from a TOML file on disk, read
 * through vertx-config and watched for changes, so reloads re-read that file.
 */
public final class LiveGateway {
  /** A {@code [server]} table for a file-backed test gateway; {@code extra} lines go inside it. */
  public static String server(long scanMs, String extra) {
    return "[server]\nhost = \"127.0.0.1\"\nport = 0\ninstances = 1\nconfig_scan_ms = " + scanMs + "\n"
        + (extra == null || extra.isEmpty() ? "" : extra.endsWith("\n") ? extra : extra + "\n");
  }

  public static final String CHAT = "/v1/chat/completions";

  private final Gateway gateway;
  private final LoopClient http;
  private final Path file;

  private LiveGateway(Gateway gateway, Path file) {
    this.gateway = gateway;
    this.http = new LoopClient(gateway.vertx());
    this.file = file;
  }

  /** Runs {@code call} on the context of this gateway's client (see {@link LoopClient}) and returns its future. */
  public <T> Future<T> onLoop(Supplier<Future<T>> call) {
    return http.onLoop(call);
  }

  /** Writes {@code toml} to {@code file}, loads it through {@link ConfigLoader} and deploys a gateway watching it. */
  public static LiveGateway fromFile(Vertx vertx, Path file, String toml) {
    writeAtomically(file, toml);
    Map<String, String> env = Map.of();
    ConfigResult result = await(ConfigLoader.load(vertx, file, env::get));
    if (!result.ok()) {
      throw new IllegalArgumentException("invalid test config: " + result.problems());
    }
    Gateway gw = await(Gateway.deploy(vertx, result.config(), new ConfigSource(file, env::get)));
    return new LiveGateway(gw, file);
  }

  /** A gateway from {@link GatewayHarness#start} (no config file). */
  public static LiveGateway fromToml(Vertx vertx, String toml) {
    return new LiveGateway(await(GatewayHarness.start(vertx, toml)), null);
  }

  /** Replaces the config file the way an editor's save-by-rename does, so no scan sees half a file. */
  public static void writeAtomically(Path file, String toml) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, toml, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void write(String toml) {
    writeAtomically(file, toml);
  }

  public Gateway gateway() {
    return gateway;
  }

  public HttpClient client() {
    return http.client();
  }

  public Path file() {
    return file;
  }

  public int port() {
    return gateway.port();
  }

  /** A request with header name/value pairs; {@code body} may be null. */
  public Response send(HttpMethod method, String path, String body, String... headers) {
    return http.send(port(), method, path, body, headers);
  }

  public Response get(String path, String... headers) {
    return send(HttpMethod.GET, path, null, headers);
  }

  public Response post(String path, String... headers) {
    return send(HttpMethod.POST, path, null, headers);
  }

  /** A non-stream chat completion for {@code model}. */
  public Response chat(String model, String... headers) {
    return send(HttpMethod.POST, CHAT, LoopClient.chatBody(model), headers);
  }

  /** The provider that answered a chat for {@code model} (x-oxllm-provider), failing on a non-200. */
  public String answeredBy(String model) {
    Response r = chat(model);
    if (r.status() != 200) {
      throw new AssertionError("chat " + model + " answered " + r.status() + ": " + r.bodyAsString());
    }
    return r.header("x-oxllm-provider");
  }

  /** {@code GET /status} as JSON, failing on a non-200; header pairs as for {@link #get}. */
  public JsonObject status(String... headers) {
    Response r = get("/status", headers);
    if (r.status() != 200) {
      throw new AssertionError("/status answered " + r.status() + ": " + r.bodyAsString());
    }
    return r.json();
  }

  /** One provider's entry of {@code status}, or null. */
  public static JsonObject provider(JsonObject status, String name) {
    JsonArray providers = status.getJsonArray("providers");
    for (int i = 0; i < providers.size(); i++) {
      if (name.equals(providers.getJsonObject(i).getString("name"))) {
        return providers.getJsonObject(i);
      }
    }
    return null;
  }

  /** One provider's entry of {@code GET /status} (header pairs as for {@link #get}), or null. */
  public JsonObject provider(String name, String... headers) {
    return provider(status(headers), name);
  }
}
