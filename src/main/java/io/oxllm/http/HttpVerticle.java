package io.oxllm.http;

import io.oxllm.config.ServerConfig;
import io.oxllm.routing.GatewayState;
import io.oxllm.upstream.UpstreamClients;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.function.IntConsumer;

/**
 * One of N HTTP verticle instances sharing the listening port. Lifecycle and wiring only: the
 * routes are {@link ApiRouter}, the proxying {@link ProxyExchange}. Each instance owns its own
 * upstream connection pools, on its own event loop.
 */
public final class HttpVerticle extends VerticleBase {
  private final GatewayState state;
  private final int port;
  private final int instances;
  private final IntConsumer boundPort;
  private HttpServer server;
  private UpstreamClients clients;

  /**
   * @param port the port to listen on (overrides the config's, so N instances share one ephemeral port)
   * @param boundPort told the actual port once listening
   */
  public HttpVerticle(GatewayState state, int port, int instances, IntConsumer boundPort) {
    this.state = state;
    this.port = port;
    this.instances = instances;
    this.boundPort = boundPort;
  }

  @Override
  public Future<?> start() {
    ServerConfig cfg = state.config().server();
    clients = new UpstreamClients(vertx, instances);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(cfg.host())
        .setPort(port)
        .setCompressionSupported(false)
        .setTcpNoDelay(true)
        .setHandle100ContinueAutomatically(true);
    server = vertx.createHttpServer(options).requestHandler(ApiRouter.create(vertx, state, clients));
    return server.listen().onSuccess(s -> boundPort.accept(s.actualPort()));
  }

  @Override
  public Future<?> stop() {
    clients.closeAll();
    return server.close();
  }
}
