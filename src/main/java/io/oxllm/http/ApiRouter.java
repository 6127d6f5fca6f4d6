package io.oxllm.http;

import io.oxllm.config.GatewayConfig;
import io.oxllm.routing.GatewayState;
import io.oxllm.telemetry.SharedStrings;
import io.oxllm.upstream.UpstreamClients;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.internal.ContextInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.impl.RoutingContextInternal;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The data-plane routes of SPEC section 3 on a vertx-web {@link Router}: request ids, CORS,
 * API keys, body limits and the error table; the proxying itself is {@link ProxyExchange}.
 * One router per HTTP verticle instance.
 */
final class ApiRouter {
  static final String REQUEST_ID = "oxllm.requestId";
  private static final String BODY_HOLD = "oxllm.bodyHold";
  private static final Map<String, String> ALLOW = Map.ofEntries(
      Map.entry(SharedStrings.CHAT_PATH, "POST"), Map.entry(SharedStrings.COMPLETIONS_PATH, "POST"),
      Map.entry(SharedStrings.EMBEDDINGS_PATH, "POST"), Map.entry("/v1/models", "GET, HEAD"),
      Map.entry("/healthz", "GET, HEAD"), Map.entry("/readyz", "GET, HEAD"),
      Map.entry("/status", "GET, HEAD"), Map.entry("/health", "GET, HEAD"),
      Map.entry("/metrics", "GET, HEAD"), Map.entry("/reload", "POST"), Map.entry("/admin/shutdown", "POST"));
  private static final List<String> PROXIED =
      List.of(SharedStrings.CHAT_PATH, SharedStrings.COMPLETIONS_PATH, SharedStrings.EMBEDDINGS_PATH);
  private static final Buffer OK = Buffer.buffer("{\"status\":\"ok\"}");
  private static final Buffer READY = Buffer.buffer("{\"status\":\"ready\"}");
  private static final Buffer NOT_READY = Buffer.buffer("{\"status\":\"not_ready\"}");

  private final Vertx vertx;
  private final GatewayState state;
  private final UpstreamClients clients;
  private final Set<ProxyExchange> inFlight;
  private final ClientConnections connections;

  private ApiRouter(Vertx vertx, GatewayState state, UpstreamClients clients, Set<ProxyExchange> inFlight,
      ClientConnections connections) {
    this.vertx = vertx;
    this.state = state;
    this.clients = clients;
    this.inFlight = inFlight;
    this.connections = connections;
  }

  /**
   * A router for the current config snapshot. {@code inFlight} is the verticle's set of running
   * exchanges (for the shutdown drain), {@code connections} its client connections (which count
   * request bodies held); {@code admin} mounts the admin routes.
   */
  static Router create(Vertx vertx, GatewayState state, UpstreamClients clients, Set<ProxyExchange> inFlight,
      ClientConnections connections, java.util.function.Consumer<Router> admin) {
    ApiRouter api = new ApiRouter(vertx, state, clients, inFlight, connections);
    Router router = api.build();
    admin.accept(router);
    api.errorHandlers(router, state.config());
    return router;
  }

  private Router build() {
    GatewayConfig cfg = state.config();
    Router router = Router.router(vertx);
    router.route().handler(this::requestId);
    // HEAD wherever GET is (RFC 9110 9.1): load balancers and scrapers probe with either; the
    // head, Content-Length included, without the body (HeadAnswers)
    router.route("/healthz").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> json(ctx, 200, OK));
    router.route("/readyz").method(HttpMethod.GET).method(HttpMethod.HEAD)
        .handler(ctx -> json(ctx, state.ready() ? 200 : 503, state.ready() ? READY : NOT_READY));
    List<String> origins = cfg.server().corsOrigins();
    if (!origins.isEmpty()) {
      Cors.mount(router, "/v1/*", origins);
    }
    router.route("/v1/*").handler(this::admit).failureHandler(this::bodyFailure);
    ModelRoutes models = new ModelRoutes(state, this::reject);
    router.route("/v1/models").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(models::list);
    router.route("/v1/models/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(models::one);
    // sized by Content-Length: grown by doubling, a 9.5 MB body took a 12 MB array and its copies
    BodyHandler body = BodyHandler.create(false).setBodyLimit(cfg.server().maxBodyBytes()).setPreallocateBodyBuffer(true);
    long bodySecs = cfg.server().bodyTimeoutSecs();
    ContextInternal loop = (ContextInternal) vertx.getOrCreateContext(); // this instance's: routers are per instance
    long bodyLimit = BodyBudget.limit(cfg.server());
    Handler<RoutingContext> beforeBody = ctx -> {
      if (requireJson(ctx) && holdBody(ctx, cfg.server().maxBodyBytes(), bodyLimit)) {
        BodySilence.watch(ctx, loop, bodySecs, c -> bodyStalled(c, bodySecs));
        ctx.next();
      }
    };
    // the API's paths as telemetry shares them (SharedStrings), so routes and records name them once
    for (String path : PROXIED) {
      // separate routes: vertx-web wants a BodyHandler first on its route, and 415 must not read the body
      router.post(path).handler(beforeBody);
      boolean streams = !path.equals(SharedStrings.EMBEDDINGS_PATH); // embeddings never stream
      router.post(path).handler(body).handler(ctx -> proxy(ctx, path, streams, bodyLimit));
    }
    return router;
  }

  private void errorHandlers(Router router, GatewayConfig cfg) {
    router.errorHandler(404, ctx -> reject(ctx, ApiError.notFound(ctx.request().path())));
    // vertx-web fails a path it cannot decode (a bad escape: /v1/models/%zz) with 400 and plain text
    router.errorHandler(400, ctx -> reject(ctx, ApiError.malformedHttp(ctx.failure())));
    router.errorHandler(405, ctx -> {
      // as vertx-web matched it: a trailing or doubled slash reaches the route, and so must Allow
      String path = ctx.normalizedPath().replaceAll("/{2,}", "/");
      if (path.length() > 1 && path.endsWith("/")) {
        path = path.substring(0, path.length() - 1);
      }
      String allow = path.startsWith("/admin/providers/") ? "POST"
          : path.startsWith("/v1/models/") ? "GET, HEAD" : ALLOW.get(path);
      if (allow != null) {
        ctx.response().putHeader(HttpHeaders.ALLOW, allow);
      }
      reject(ctx, ApiError.methodNotAllowed(ctx.request().method().name(), ctx.request().path()));
    });
    // vertx-web's CorsHandler refuses an unlisted origin with ctx.fail(403), and its own reason
    // phrase ("CORS Rejected - Invalid origin"), which a client would see on the status line
    router.errorHandler(403, ctx -> {
      ctx.response().setStatusMessage("Forbidden");
      reject(ctx, ApiError.originNotAllowed(String.valueOf(ctx.request().getHeader(HttpHeaders.ORIGIN))));
    });
    router.errorHandler(413, ctx -> reject(ctx, ApiError.tooLarge(cfg.server().maxBodyBytes())));
    // vertx-web's BodyHandler fails any Expect but 100-continue with 417 and plain text
    router.errorHandler(417, ctx ->
        reject(ctx, ApiError.expectationFailed(ctx.request().getHeader(HttpHeaders.EXPECT))));
    router.errorHandler(500, ctx -> Errors.send(ctx.response(), ApiError.internal("internal error")));
  }

  private void requestId(RoutingContext ctx) {
    ctx.put(REQUEST_ID, RequestIds.assign(ctx.request())); // while draining the answer is the last (ClientConnections)
    ctx.next();
  }

  /** Draining and API keys, for every /v1 route. */
  private void admit(RoutingContext ctx) {
    if (state.draining()) {
      rejectAndClose(ctx, ApiError.shuttingDown()); // closed even if draining began after the request came
      return;
    }
    List<String> keys = state.config().auth().apiKeys();
    if (!keys.isEmpty() && !BearerToken.matchesAny(ctx.request().getHeader(HttpHeaders.AUTHORIZATION), keys)) {
      reject(ctx, ApiError.invalidApiKey());
      return;
    }
    ctx.next();
  }

  /** Refuses (415) a request whose Content-Type is present and not JSON; true when it may go on. */
  private boolean requireJson(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null && !isJson(type)) {
      reject(ctx, ApiError.unsupportedMediaType(type));
      return false;
    }
    return true;
  }

  /**
   * Counts the body in the gateway's {@link BodyBudget} before it is read; true when it may go on.
   * Past the budget: 503 {@code server_busy} at once, and the body is read past as it comes, kept
   * nowhere (it is framed, so the connection stays). Closing instead, with the body unread, made
   * the kernel reset the connection: the client lost the 503, and answers pipelined before it.
   */
  private boolean holdBody(RoutingContext ctx, long maxBody, long limit) {
    long bytes = BodyBudget.countedBytes(ctx.request(), maxBody);
    if (bytes == 0) {
      return true;
    }
    BodyHold hold = connections.holdBody(ctx.request(), bytes, limit);
    if (hold == null) {
      ctx.request().handler(dropped -> { }).resume();
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
      reject(ctx, ApiError.serverBusy(limit)); // closes only for a client waiting on a 100 (Errors.refuse)
      return false;
    }
    ctx.put(BODY_HOLD, hold);
    return true;
  }

  /** application/json or any +json type, with or without parameters. */
  static boolean isJson(String contentType) {
    int semi = contentType.indexOf(';');
    String mime = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    return mime.equalsIgnoreCase("application/json")
        || (mime.regionMatches(true, 0, "application/", 0, 12) && mime.toLowerCase(java.util.Locale.ROOT).endsWith("+json"));
  }

  /**
   * Failures while a body is read. On a connection already closed (a client that left in the
   * middle of its body, or ours closed after a 408) nothing can be answered, so it ends here rather
   * than as vertx-web's SEVERE "Unhandled exception in router". A body the HTTP decoder cannot
   * frame (a bad chunk size) gets the JSON 400 before Vert.x closes the connection (it closed
   * without a word). Other failures go on to the error handlers.
   */
  private void bodyFailure(RoutingContext ctx) {
    // closed: a FIN (HttpClosedException), or a reset (Netty's NativeIoException, an IOException)
    if (ctx.failure() instanceof HttpClosedException || ctx.failure() instanceof IOException
        || ctx.response().closed()) {
      BodySilence.done(ctx);
      if (!ctx.response().headWritten()) { // not answered (a 408 is): the client left mid-body
        RequestTrace.clientLeft(state.telemetry(), ctx.get(REQUEST_ID), ctx.request(), BodySilence.startEpochNanos(ctx));
      }
    } else if (bodyFailed(ctx)) {
      // Vert.x's decoder could not frame the body and closes the connection as soon as this
      // returns, before its end-of-read flush: closing it here flushes the answer first
      rejectAndClose(ctx, ApiError.malformedHttp(ctx.failure()));
    } else {
      ctx.next();
    }
  }

  /**
   * The BodyHandler failed the request while its body came in: the request failed, with status 200
   * or 400 (vertx-web's BodyHandler on a request exception), nothing answered yet. Other handlers
   * fail with their own status (CORS: 403) and go to the error handlers.
   */
  private static boolean bodyFailed(RoutingContext ctx) {
    int status = ctx.statusCode();
    return ctx.failure() != null && (status == 200 || status == 400) && !ctx.request().isEnded()
        && !ctx.response().headWritten();
  }

  /**
   * The body stopped arriving: 408, and the connection closes (the rest of the body, should it
   * come, cannot be framed as a next request; Vert.x would wait for it before closing).
   */
  private void bodyStalled(RoutingContext ctx, long secs) {
    rejectAndClose(ctx, ApiError.bodyTimeout(secs));
  }

  /** Answers, then closes the connection (Vert.x flushes the answer before it closes). */
  private void rejectAndClose(RoutingContext ctx, ApiError error) {
    ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    reject(ctx, error);
    ctx.request().connection().close();
  }

  private void proxy(RoutingContext ctx, String route, boolean streams, long bodyLimit) {
    BodySilence.done(ctx);
    Buffer raw = ctx.body().buffer();
    BodyHold hold = ctx.get(BODY_HOLD);
    if (hold != null) {
      hold.resize(raw == null ? 0 : raw.length()); // a chunked body was counted as the most it could be
    }
    RequestBody body;
    try {
      body = RequestBody.inspect(raw == null ? Buffer.buffer() : raw, streams);
    } catch (RequestBody.Rejected e) {
      reject(ctx, e.error());
      return;
    }
    String path = route.substring(3);  // "/v1/chat/completions" -> "/chat/completions"
    RequestId id = ctx.get(REQUEST_ID);
    RequestTrace trace = new RequestTrace(state.telemetry(), id, route, body.model(),
        body.stream(), ctx.request().headers());
    ProxyExchange exchange = new ProxyExchange(vertx, ctx.request(), clients, id.text(), path, body, trace);
    inFlight.add(exchange);
    // at the commit the exchange lets the bytes go, and so must the context, which the response
    // keeps reachable until it ends: else a stream holds its body for its whole length
    exchange.onBodySpent(() -> {
      ((RoutingContextInternal) ctx).setBody(null);
      if (hold != null) {
        hold.release();
      }
    }).holding(hold, bodyLimit).onFinished(() -> inFlight.remove(exchange)).start();
  }

  /** Answers a refused request and leaves its one request-log record (outcome "rejected"). */
  private void reject(RoutingContext ctx, ApiError error) {
    BodySilence.done(ctx);
    if (ctx.get(REQUEST_ID) == null) {
      // failed before any route ran (OPTIONS *, CONNECT host:443): vertx-web's 404 still gets an id
      ctx.put(REQUEST_ID, RequestIds.assign(ctx.request()));
    }
    Errors.refuse(ctx.request(), error);
    RequestTrace.rejected(state.telemetry(), ctx.get(REQUEST_ID), ctx.request(), error, BodySilence.startEpochNanos(ctx));
  }

  static void json(RoutingContext ctx, int status, Buffer body) {
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, HeaderRules.JSON);
    HeadAnswers.end(ctx, body);
  }
}
