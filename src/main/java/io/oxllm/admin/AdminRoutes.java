package io.oxllm.admin;

import io.oxllm.http.BearerToken;
import io.oxllm.http.HeadAnswers;
import io.oxllm.routing.GatewayState;
import io.oxllm.routing.RoutingVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.MIMEHeader;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.net.URI;

/**
 * The admin API of SPEC section 6, on the data plane's port: {@code GET /status}, {@code /health},
 * {@code /metrics}; {@code POST /reload}, {@code /admin/providers/{name}/offline|online|reset},
 * {@code /admin/shutdown}. Only loopback callers, never a request with an {@code Origin} header (a
 * web page must not drive it), and only with {@code admin_token} when one is set. The state lives
 * in the routing verticle; these handlers ask it over the event bus.
 */
public final class AdminRoutes {
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(10_000);

  private final Vertx vertx;
  private final GatewayState state;

  private AdminRoutes(Vertx vertx, GatewayState state) {
    this.vertx = vertx;
    this.state = state;
  }

  public static void mount(Router router, Vertx vertx, GatewayState state) {
    AdminRoutes admin = new AdminRoutes(vertx, state);
    for (String path : new String[] {"/status", "/health", "/metrics", "/reload", "/admin/*"}) {
      router.route(path).handler(admin::guard);
    }
    // HEAD wherever GET is, as on the data plane (ApiRouter)
    router.route("/status").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(admin::status);
    router.route("/health").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(admin::health);
    router.route("/metrics").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(admin::metrics);
    router.post("/reload").handler(admin::reload);
    router.post("/admin/providers/:name/:action").handler(admin::provider);
    router.post("/admin/shutdown").handler(admin::shutdown);
  }

  private void guard(RoutingContext ctx) {
    if (!isLoopback(ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress())) {
      AdminErrors.send(ctx, 403, "permission_error", "forbidden", "The admin API answers only loopback callers.");
      return;
    }
    if (ctx.request().getHeader(HttpHeaders.ORIGIN) != null) {
      AdminErrors.send(ctx, 403, "permission_error", "forbidden",
          "Admin requests carrying an Origin header are refused (a web page cannot drive the admin API).");
      return;
    }
    String token = state.config().server().adminToken();
    if (token.isEmpty() && !loopbackName(namedHost(ctx.request()))) {
      // DNS rebinding: a page whose name now resolves to 127.0.0.1 reads same-origin, so sends no
      // Origin; its requests still name its own host, which no one calling the admin API locally does
      AdminErrors.send(ctx, 403, "permission_error", "forbidden",
          "Without an admin_token the admin API answers only requests for a loopback host (Host: localhost, "
              + "127.0.0.1 or [::1]); set server.admin_token to call it by another name.");
      return;
    }
    if (!token.isEmpty() && !BearerToken.matchesAny(ctx.request().getHeader(HttpHeaders.AUTHORIZATION), java.util.List.of(token))) {
      AdminErrors.send(ctx, 401, "authentication_error", "invalid_api_key",
          "Missing or invalid admin token: send 'Authorization: Bearer <admin_token>'.");
      return;
    }
    ctx.next();
  }

  /**
   * The host a request names: an absolute-form target's (RFC 9112 section 3.2.2: it takes
   * precedence over Host), else the Host header's; null for neither (HTTP/1.0 may send none).
   * There is one Host line at most: {@code HttpVerticle} refuses a request with two before routing.
   */
  static String namedHost(HttpServerRequest req) {
    String uri = req.uri();
    if (uri.startsWith("/")) {
      return req.authority() == null ? null : req.authority().host();
    }
    try {
      String host = URI.create(uri).getHost();
      return host != null ? host : "(none)"; // "http:///status" names no host: not loopback either
    } catch (IllegalArgumentException e) {
      return "(invalid)";
    }
  }

  /** A Host naming this machine's loopback (or none, as HTTP/1.0 may): never a page's own name. */
  static boolean loopbackName(String host) {
    if (host == null || host.isEmpty()) {
      return true;
    }
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    h = h.endsWith(".") ? h.substring(0, h.length() - 1) : h; // "localhost." is localhost, fully qualified
    // 127.0.0.1 and its short forms (127.1, as curl and inet_aton take it): all in 127/8, no page's name
    return h.equalsIgnoreCase("localhost") || h.matches("127(\\.[0-9]{1,10}){1,3}")
        || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1");
  }

  static boolean isLoopback(String ip) {
    if (ip == null) {
      return false;
    }
    return ip.startsWith("127.") || ip.equals("::1") || ip.equals("0:0:0:0:0:0:0:1")
        || ip.startsWith("::ffff:127.");
  }

  private void status(RoutingContext ctx) {
    ask(new JsonObject().put("op", "status"), ctx, json -> {
      if ("text".equals(ctx.request().getParam("format")) || prefersText(ctx.parsedHeaders().accept())) {
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
        HeadAnswers.end(ctx, Buffer.buffer(StatusText.render(json)));
      } else {
        json.remove("ok");
        sendJson(ctx, 200, json);
      }
    });
  }

  /**
   * Whether an {@code Accept} header ranks {@code text/plain} (the tables) above JSON: by q (vertx-web
   * sorts them, highest first; a q of 0 refuses a type), then in the client's order. JSON when
   * neither is named, as for {@code *}{@code /*} or no header.
   */
  static boolean prefersText(List<MIMEHeader> accept) {
    for (MIMEHeader type : accept) {
      if (type.weight() <= 0) {
        continue;
      }
      if (names(type, "application", "json")) {
        return false;
      }
      if (names(type, "text", "plain")) {
        return true;
      }
    }
    return false;
  }

  private static boolean names(MIMEHeader type, String component, String sub) {
    return (type.component().equals("*") || type.component().equalsIgnoreCase(component))
        && (type.subComponent().equals("*") || type.subComponent().equalsIgnoreCase(sub));
  }

  private void health(RoutingContext ctx) {
    JsonObject body = new JsonObject()
        .put("status", state.draining() ? "draining" : "ok")
        .put("ready", state.ready());
    sendJson(ctx, 200, body);
  }

  private void metrics(RoutingContext ctx) {
    ask(new JsonObject().put("op", "status"), ctx, json -> {
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
      HeadAnswers.end(ctx, Buffer.buffer(PrometheusText.render(json, state.telemetry())));
    });
  }

  private void reload(RoutingContext ctx) {
    vertx.eventBus().<JsonObject>request(RoutingVerticle.RELOAD, "POST /reload", LOCAL).onComplete(ar -> {
      if (ar.failed()) {
        AdminErrors.send(ctx, 500, "internal_error", "internal_error", "reload failed: " + ar.cause().getMessage());
      } else {
        JsonObject r = ar.result().body();
        sendJson(ctx, r.getBoolean("ok") ? 200 : 422, new JsonObject().put("reload", r));
      }
    });
  }

  private void provider(RoutingContext ctx) {
    String action = ctx.pathParam("action");
    if (!action.equals("offline") && !action.equals("online") && !action.equals("reset")) {
      AdminErrors.send(ctx, 404, "invalid_request_error", "not_found",
          "Unknown provider action '" + action + "': use offline, online or reset.");
      return;
    }
    JsonObject command = new JsonObject().put("op", action).put("provider", ctx.pathParam("name"));
    ask(command, ctx, json -> {
      if (json.getBoolean("ok")) {
        sendJson(ctx, 200, json.getJsonObject("provider"));
      } else {
        AdminErrors.send(ctx, 404, "invalid_request_error", "provider_not_found", json.getString("error"));
      }
    });
  }

  private void shutdown(RoutingContext ctx) {
    // after the answer is on its way: the stop drains this very connection too. The answer is
    // its connection's last, like every answer given while draining: held open, an idle
    // connection of the caller's would only wait for the other requests to end
    ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    ctx.response().endHandler(v -> {
      // the gateway holds open connections through the stop (http.ClientConnections): closed here,
      // or it stayed open until every stream had ended, its Connection: close notwithstanding
      ctx.request().connection().close();
      vertx.setTimer(10, id -> state.requestShutdown());
    });
    sendJson(ctx, 202, new JsonObject().put("status", "shutting_down"));
  }

  private void ask(JsonObject command, RoutingContext ctx, java.util.function.Consumer<JsonObject> then) {
    vertx.eventBus().<JsonObject>request(RoutingVerticle.ADMIN, command, LOCAL).onComplete(ar -> {
      if (ar.failed()) {
        AdminErrors.send(ctx, 500, "internal_error", "internal_error", "admin command failed: " + ar.cause().getMessage());
      } else {
        then.accept(ar.result().body());
      }
    });
  }

  private static void sendJson(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    HeadAnswers.end(ctx, Buffer.buffer(body.encodePrettily()).appendString("\n"));
  }
}
