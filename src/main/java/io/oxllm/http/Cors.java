package io.oxllm.http;

import io.oxllm.config.HeaderSyntax;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * CORS for the data plane (SPEC section 3, {@code cors_origins}): vertx-web's {@link CorsHandler},
 * with two things it cannot do added around it.
 * <ul>
 *   <li>A preflight is allowed the headers it asks for besides the three the SPEC names: the
 *       OpenAI SDKs send their own ({@code x-stainless-os}, …) on every request, and a browser
 *       refuses a request whose headers the preflight did not allow. vertx-web either lists a
 *       fixed set or echoes the request's, not both.
 *   <li>With a list of origins, every answer says {@code Vary: Origin}: the answer depends on the
 *       origin (allowed, or 403) even when the list has one entry, where vertx-web leaves it out.
 * </ul>
 * Response headers are exposed by name (for requests with credentials) and with {@code *} (for
 * those without, as the SDKs send), so an upstream's {@code x-ratelimit-*} of any name is readable.
 */
final class Cors {
  private static final List<String> ALLOWED = List.of("authorization", "content-type", "x-request-id");
  private static final String VARY_ORIGIN = "Origin";

  private Cors() {}

  /** Mounts CORS for {@code origins} (non-empty; {@code "*"} for any) on {@code path}. */
  static void mount(Router router, String path, List<String> origins) {
    boolean anyOrigin = origins.contains("*");
    CorsHandler cors = CorsHandler.create();
    if (!anyOrigin) {
      cors.addOrigins(origins);
    }
    cors.allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.OPTIONS))
        .allowedHeaders(new LinkedHashSet<>(ALLOWED))
        .exposedHeaders(Set.of("x-request-id", "x-upstream-request-id", "x-oxllm-provider", "x-oxllm-model",
            "x-oxllm-attempts", "x-ratelimit-limit-requests", "x-ratelimit-limit-tokens",
            "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-requests",
            "x-ratelimit-reset-tokens", "retry-after", "*"))
        .maxAgeSeconds(600);
    // with any origin allowed only preflights need the extra step: the API's own requests skip it
    var extra = anyOrigin ? router.route(path).method(HttpMethod.OPTIONS) : router.route(path);
    extra.handler(ctx -> {
      HttpServerRequest req = ctx.request();
      // a preflight with no headers asked for still varies on them: its Allow-Headers would differ
      boolean preflight = req.method() == HttpMethod.OPTIONS
          && req.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD) != null;
      // once the answer is decided: vertx-web adds its own "origin" to some (Vary: Origin,origin)
      ctx.addHeadersEndHandler(v -> {
        if (!anyOrigin) {
          varyOn(ctx.response(), VARY_ORIGIN);
        }
        if (preflight) {
          allowRequested(ctx);
        }
      });
      ctx.next();
    });
    router.route(path).handler(cors);
  }

  /** A preflight's allowed headers: the three the SPEC names, then any others it asked for. */
  private static void allowRequested(RoutingContext ctx) {
    HttpServerResponse resp = ctx.response();
    if (resp.headers().get(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS) == null) {
      return; // refused: no CORS answer to extend
    }
    Set<String> names = new LinkedHashSet<>(ALLOWED);
    // a list may come in several header lines (RFC 9110 section 5.3)
    for (String line : ctx.request().headers().getAll(HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS)) {
      for (String asked : line.split(",")) {
        String name = asked.trim().toLowerCase(Locale.ROOT);
        if (HeaderSyntax.validName(name)) {
          names.add(name);
        }
      }
    }
    resp.headers().set(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, String.join(", ", names));
    varyOn(resp, "Access-Control-Request-Headers");
  }

  /** Adds {@code name} to the answer's {@code Vary} unless it is there, in any case, already. */
  private static void varyOn(HttpServerResponse resp, String name) {
    List<String> lines = resp.headers().getAll(HttpHeaders.VARY);
    for (String line : lines) {
      for (String token : line.split(",")) {
        if (token.trim().equalsIgnoreCase(name)) {
          return;
        }
      }
    }
    resp.headers().set(HttpHeaders.VARY, lines.isEmpty() ? name : String.join(", ", lines) + ", " + name);
  }
}
