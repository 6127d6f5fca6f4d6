package io.oxllm.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.function.ThrowingConsumer;

/**
 * Small helpers shared by the data-plane integration tests: header maps, a port nothing listens
 * on, the error-shape assertion of SPEC section 3, and a one-liner to verify a future's result
 * inside a {@link VertxTestContext}.
 */
public final class ApiChecks {
  /** What SPEC section 3 allows as a request id. */
  public static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final Set<String> ERROR_KEYS = Set.of("message", "type", "param", "code");

  private ApiChecks() {}

  /** A case-insensitive header map from name/value pairs. */
  public static MultiMap headers(String... nameValues) {
    if (nameValues.length % 2 != 0) {
      throw new IllegalArgumentException("name/value pairs expected");
    }
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < nameValues.length; i += 2) {
      m.add(nameValues[i], nameValues[i + 1]);
    }
    return m;
  }

  /** {@code content-type: application/json} plus the given pairs. */
  public static MultiMap jsonHeaders(String... nameValues) {
    return headers(nameValues).add("content-type", "application/json");
  }

  /**
   * A loopback port that nothing listens on (bound, then closed), taken from below the kernel's
   * ephemeral range. A port from {@code new ServerSocket(0)} could be handed out again to the
   * next server bound on port 0 (a gateway under test, say), which then answered where a dead
   * upstream was meant: seen once in CI, a gateway calling itself for its "dead" provider.
   * Port-0 binds never choose a port outside the ephemeral range.
   */
  public static int unusedPort() {
    int below = ephemeralLow();
    for (int tries = 0; tries < 200; tries++) {
      int port = 10_000 + ThreadLocalRandom.current().nextInt(Math.max(1, below - 10_000));
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        s.setReuseAddress(false);
        return port;
      } catch (IOException taken) {
        // in use: try another
      }
    }
    throw new IllegalStateException("no free loopback port below " + below);
  }

  /** The low end of the kernel's ephemeral port range (Linux), 32768 where it cannot be read. */
  private static int ephemeralLow() {
    try {
      // readAllLines, not readString: a /proc file reports size 0, and readString returned its first byte
      String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
      return Math.max(10_001, Integer.parseInt(range.split("\\s+")[0]));
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }

  /**
   * Asserts a gateway error: the status, exactly {@code {"error":{"message","type","param","code"}}}
   * with the given type and code, a non-empty message, a JSON content type and a valid x-request-id.
   * A null {@code code} skips the code check (for rows of the table that name no code).
   * Returns the inner error object for further checks.
   */
  public static JsonObject assertError(GatewayHarness.Response r, int status, String type, String code) {
    JsonObject err = assertErrorShape(r, status);
    assertEquals(type, err.getValue("type"), () -> "error.type of " + r.bodyAsString());
    if (code != null) {
      assertEquals(code, err.getValue("code"), () -> "error.code of " + r.bodyAsString());
    }
    return err;
  }

  /** The status, OpenAI's error shape with a non-empty message and string type, JSON, an x-request-id. */
  public static JsonObject assertErrorShape(GatewayHarness.Response r, int status) {
    assertEquals(status, r.status(), () -> "status; body: " + r.bodyAsString());
    String ct = r.header("content-type");
    assertNotNull(ct, () -> "content-type on an error; body: " + r.bodyAsString());
    assertTrue(ct.startsWith("application/json"), () -> "error content-type " + ct + "; body: " + r.bodyAsString());
    JsonObject body;
    try {
      body = r.json();
    } catch (RuntimeException e) {
      throw new AssertionError("error body is not JSON: " + r.bodyAsString(), e);
    }
    assertNotNull(body, "error body");
    assertEquals(Set.of("error"), body.fieldNames(), () -> "top-level keys of " + body);
    JsonObject err = body.getJsonObject("error");
    assertEquals(ERROR_KEYS, err.fieldNames(), () -> "error keys of " + body);
    assertTrue(err.getValue("type") instanceof String, () -> "error.type of " + body);
    Object message = err.getValue("message");
    assertTrue(message instanceof String s && !s.isEmpty(), () -> "error.message of " + body);
    assertRequestId(r);
    return err;
  }

  /** The response carries an x-request-id of the allowed form. */
  public static String assertRequestId(GatewayHarness.Response r) {
    String id = r.header("x-request-id");
    assertNotNull(id, "x-request-id on every response");
    assertTrue(REQUEST_ID.matcher(id).matches(), "x-request-id form: " + id);
    return id;
  }

  /** Completes {@code ctx} once {@code f} succeeded and {@code check} passed; fails it otherwise. */
  public static <T> void verify(VertxTestContext ctx, Future<T> f, ThrowingConsumer<T> check) {
    f.onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      check.accept(v);
      ctx.completeNow();
    })));
  }
}
