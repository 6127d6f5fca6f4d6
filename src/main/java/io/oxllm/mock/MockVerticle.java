package io.oxllm.mock;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.function.IntConsumer;

/**
 * One instance of the mock upstream's HTTP server; N instances share one port (one per event
 * loop). Lifecycle only: the answers are {@link MockHandler}'s.
 */
public final class MockVerticle extends VerticleBase {
  private final String host;
  private final int port;
  private final MockKnobs knobs;
  private final MockStats stats;
  private final IntConsumer boundPort;
  private HttpServer server;

  /**
   * @param port the port to listen on; negative = a random port shared by every server given the same number
   * @param boundPort told the actual port once listening
   */
  public MockVerticle(String host, int port, MockKnobs knobs, MockStats stats, IntConsumer boundPort) {
    this.host = host;
    this.port = port;
    this.knobs = knobs;
    this.stats = stats;
    this.boundPort = boundPort;
  }

  @Override
  public Future<?> start() {
    MockHandler handler = new MockHandler(vertx, knobs, stats);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(host)
        .setPort(port)
        .setTcpNoDelay(true)
        .setCompressionSupported(false)
        .setHandle100ContinueAutomatically(true);
    server = vertx.createHttpServer(options)
        // clients resetting connections is the mock's daily bread (and cut/reset faults cause it): no log lines
        .connectionHandler(conn -> conn.exceptionHandler(e -> { }))
        .requestHandler(handler::handle);
    return server.listen().onSuccess(s -> boundPort.accept(s.actualPort()));
  }

  @Override
  public Future<?> stop() {
    // hanging and stalled streams would never finish: close at once rather than drain
    return server.close();
  }
}
