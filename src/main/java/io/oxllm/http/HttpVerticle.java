package io.oxllm.http;

import io.netty.handler.codec.PrematureChannelClosureException;
import io.oxllm.admin.AdminRoutes;
import io.oxllm.config.GatewayConfig;
import io.oxllm.config.ServerConfig;
import io.oxllm.routing.GatewayState;
import io.oxllm.telemetry.Telemetry;
import io.oxllm.upstream.UpstreamClients;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.ext.web.Router;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * One of N HTTP verticle instances sharing the listening port. Lifecycle and wiring only: the
 * routes are {@link ApiRouter} and {@link AdminRoutes}, the proxying {@link ProxyExchange}. Each
 * instance owns its own upstream connection pools, on its own event loop.
 */
public final class HttpVerticle extends VerticleBase {
  private final GatewayState state;
  private final int port;
  private final int instances;
  private final IntConsumer boundPort;
  private final Set<ProxyExchange> inFlight = new HashSet<>();
  private final ClientConnections connections;
  private HttpServer server;
  private long idleSweep;
  private UpstreamClients clients;
  private Router router;
  private GatewayConfig routerConfig;

  /**
   * @param bodies the request bodies held in memory, shared by all instances
   * @param port the port to listen on (overrides the config's, so N instances share one ephemeral port)
   * @param boundPort told the actual port once listening
   */
  public HttpVerticle(GatewayState state, BodyBudget bodies, int port, int instances, IntConsumer boundPort) {
    this.state = state;
    this.connections = new ClientConnections(bodies);
    this.port = port;
    this.instances = instances;
    this.boundPort = boundPort;
  }

  @Override
  public Future<?> start() {
    ServerConfig cfg = state.config().server();
    clients = new UpstreamClients(vertx, instances);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(cfg.bindHost())
        .setPort(port)
        .setCompressionSupported(false)
        .setTcpNoDelay(true)
        // the BodyHandler answers Expect: 100-continue itself, after checking Content-Length
        // against max_body_bytes: a body it would refuse gets its 413 before being sent, and a
        // client never sees two 100s
        .setHandle100ContinueAutomatically(false)
        // the gateway speaks HTTP/1.1 and has no WebSocket routes; with Vert.x's defaults every client
        // connection's pipeline also carries an h2c upgrade handler and a WebSocket extension handler,
        // which every request and every response write passes through
        .setHttp2ClearTextEnabled(false)
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false)
        // every response is written on this verticle's event loop (route answers come back to it
        // through a promise bound to its context: routing.RouteAsk), so a connection needs no cross-thread write queue:
        // without this each client connection carries one (~4.7 KB of heap, 5.9 MB at 1000 connections)
        // and every write goes through it. Vert.x throws if a write ever comes from another thread.
        .setStrictThreadMode(true);
    server = vertx.createHttpServer(options)
        .connectionHandler(c -> {
          FramingDecoder decoder = FramingDecoder.install(c, options);
          ClientWriteQueue.bound(c);
          connections.add(c, decoder);
        })
        .invalidRequestHandler(this::invalid)
        .requestHandler(this::handle);
    // the current config's value, so a reload changes it for open connections too
    idleSweep = vertx.setPeriodic(ClientConnections.SWEEP_MS,
        id -> connections.closeIdle(state.config().server().idleTimeoutSecs()));
    return server.listen().onSuccess(s -> {
      state.instanceBusy(this, true); // until its stop says otherwise
      boundPort.accept(s.actualPort());
    });
  }

  /** Routes with the router of the current snapshot; a reload (a new snapshot) rebuilds it once. */
  private void handle(HttpServerRequest req) {
    if (req.response().writeQueueFull()) {
      holdUntilDrained(req);
      return;
    }
    connections.requestArrived(req, state.draining());
    String te = req.getHeader(HttpHeaders.TRANSFER_ENCODING);
    if (te != null && ambiguousFraming(req, te)) {
      refuse(req, ApiError.ambiguousFraming());
      return;
    }
    if (te != null && req.version() == HttpVersion.HTTP_1_0) {
      // RFC 9112 section 6.1: HTTP/1.0 has no transfer codings, so a proxy in front may frame
      // the body otherwise; treat it as faulty framing and close (it was served, the connection kept)
      refuse(req, ApiError.transferEncodingInHttp10());
      return;
    }
    if (req.headers().getAll(HttpHeaders.HOST).size() > 1) {
      // RFC 9112 section 3.2: a proxy in front may route or check by the other line than ours
      refuse(req, ApiError.malformedHttp(new IllegalArgumentException("more than one Host header")));
      return;
    }
    if (!((HttpServerRequestInternal) req).isValidAuthority() && req.version() == HttpVersion.HTTP_1_1) {
      // vertx-web's router fails it with 400 before any route runs, so it had no request id, and
      // its Connection: close (the body-failure path) left the connection open
      refuse(req, ApiError.malformedHttp(new IllegalArgumentException("a valid Host header is required")));
      return;
    }
    GatewayConfig current = state.config();
    if (current != routerConfig) {
      router = ApiRouter.create(vertx, state, clients, inFlight, connections, r -> AdminRoutes.mount(r, vertx, state));
      routerConfig = current;
    }
    router.handle(req);
  }

  /**
   * The answers before this request on its connection are not read yet: a client pipelining
   * requests without reading. Answering it now would pile one more answer up, and Vert.x would
   * read the next request at once, so the heap grew with whatever the client sent (3 M pipelined
   * {@code /healthz} requests held 953 MB, found by an audit). Held instead until they drain:
   * Vert.x reads no further request from the connection meanwhile, so no more than one read's
   * worth waits in it. The connection counts as idle, so {@code idle_timeout_secs} closes it if
   * the client never reads.
   */
  private void holdUntilDrained(HttpServerRequest req) {
    connections.requestWaits(req);
    req.pause(); // a body waits in Vert.x's own bounded queue, which pauses the connection
    req.response().drainHandler(drained -> {
      req.response().drainHandler(null);
      handle(req);
    });
  }

  /**
   * A request the HTTP decoder could not read (a request line or headers too long, bad syntax):
   * Vert.x's default answers with an empty body; SPEC section 3 wants the JSON error and a request
   * id on every response. The connection closes after it, as the rest of its bytes cannot be framed.
   */
  private void invalid(HttpServerRequest req) {
    Throwable cause = req.decoderResult().cause();
    if (cause instanceof PrematureChannelClosureException) {
      // the client left inside the head: no one to answer, and no refusal of the gateway's
      RequestTrace.clientLeft(state.telemetry(), RequestIds.assign(req), req, Telemetry.epochNanos());
      return;
    }
    refuse(req, ApiError.malformedHttp(cause));
  }

  /**
   * A body framed two ways, or by a transfer coding other than chunked alone (RFC 9112 section
   * 6): Netty framed {@code Transfer-Encoding: chunked, identity} as chunked and {@code xchunked}
   * by its Content-Length, where a proxy in front may frame it otherwise and smuggle a request
   * past it. Refused, and the connection closed; so is a Content-Length beside chunked, which
   * Netty's decoder would drop ({@link FramingDecoder} keeps it).
   */
  private static boolean ambiguousFraming(HttpServerRequest req, String te) {
    return req.headers().contains(HttpHeaders.CONTENT_LENGTH)
        || req.headers().getAll(HttpHeaders.TRANSFER_ENCODING).size() > 1 || !te.trim().equalsIgnoreCase("chunked");
  }

  /**
   * Answers {@code error} before any routing, then closes: the rest of the connection's bytes
   * cannot be trusted. With the client's request id when it sent a valid one, and on the data
   * plane the request-log record every refused request leaves.
   */
  private void refuse(HttpServerRequest req, ApiError error) {
    RequestId id = RequestIds.assign(req);
    req.response().putHeader(HttpHeaders.CONNECTION, "close");
    Errors.send(req.response(), error);
    RequestTrace.rejected(state.telemetry(), id, req, error, Telemetry.epochNanos());
    req.connection().close();
  }

  /**
   * Graceful stop: refuse new connections at once, let in-flight requests and streams run on for
   * {@code shutdown_grace_secs}, then end what is left with the stream error event. Open
   * connections stay open meanwhile: a new request on one gets 503 shutting_down with
   * {@code Connection: close} (ApiRouter), as SPEC section 8 says.
   */
  @Override
  public Future<?> stop() {
    state.startDraining();
    inFlight.forEach(ProxyExchange::drainStarted);
    long graceMs = state.config().server().shutdownGraceSecs() * 1000L;
    long started = System.nanoTime();
    long timer = vertx.setTimer(Math.max(1, graceMs), id -> Set.copyOf(inFlight).forEach(ProxyExchange::interruptForShutdown));
    // open connections stay (ClientConnections) while exchanges run on any instance, and go once
    // none does: a stream's end, or the grace period's, is seen within 10 ms
    state.instanceBusy(this, !inFlight.isEmpty());
    long watch = vertx.setPeriodic(10, id -> {
      state.instanceBusy(this, !inFlight.isEmpty());
      if (!state.anyInstanceBusy()) {
        vertx.cancelTimer(id);
        connections.release(graceMs - (System.nanoTime() - started) / 1_000_000);
      }
    });
    return server.shutdown(graceMs + 2_000, TimeUnit.MILLISECONDS).eventually(() -> {
      vertx.cancelTimer(timer);
      vertx.cancelTimer(watch);
      // its connections are gone: its last exchange may have ended since its watch last looked, and
      // a busy flag left standing held the other instances' idle connections, and the stop, to the
      // grace period's end (its clients had closed right after their streams' last chunk)
      state.instanceBusy(this, false);
      vertx.cancelTimer(idleSweep);
      clients.closeAll();
      return Future.succeededFuture();
    });
  }
}
