package io.oxllm.mock;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running mock upstream: N {@link MockVerticle} instances on one port. {@code oxllm mock} starts
 * one in its own Vertx; tests deploy one into theirs with port 0 and read {@link #port()}.
 */
public final class MockUpstream {
  // Port 0 is not shared between servers; a negative port is (one random port per negative
  // number). Far from the gateway's small negative keys, so both can run in one Vertx.
  private static final AtomicInteger EPHEMERAL_KEYS = new AtomicInteger(-20_000);

  private final Vertx vertx;
  private final String host;
  private final String deployment;
  private final int port;
  private final MockStats stats;
  private final boolean ownsVertx;

  private MockUpstream(Vertx vertx, String host, String deployment, int port, MockStats stats, boolean ownsVertx) {
    this.vertx = vertx;
    this.host = host;
    this.deployment = deployment;
    this.port = port;
    this.stats = stats;
    this.ownsVertx = ownsVertx;
  }

  /** Deploys {@code instances} verticles listening on host:port (0 = an ephemeral port). */
  public static Future<MockUpstream> deploy(Vertx vertx, String host, int port, int instances, MockKnobs knobs) {
    return deploy(vertx, host, port, instances, knobs, false);
  }

  static Future<MockUpstream> deploy(Vertx vertx, String host, int port, int instances, MockKnobs knobs, boolean ownsVertx) {
    MockStats stats = new MockStats();
    int listenPort = port == 0 && instances > 1 ? EPHEMERAL_KEYS.decrementAndGet() : port;
    AtomicInteger bound = new AtomicInteger(port);
    return vertx.deployVerticle(() -> new MockVerticle(host, listenPort, knobs, stats, bound::set),
            new DeploymentOptions().setInstances(instances))
        .map(id -> new MockUpstream(vertx, host, id, bound.get(), stats, ownsVertx));
  }

  /** The port actually listened on. */
  public int port() {
    return port;
  }

  /** {@code http://HOST:PORT/v1}, the base_url for a provider. */
  public String baseUrl() {
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/v1";
  }

  public MockStats stats() {
    return stats;
  }

  /** Undeploys the verticles (and closes the Vertx when this mock created it). */
  public Future<Void> close() {
    // closing the Vertx undeploys everything; a callback on its own dying event loop would be rejected
    return ownsVertx ? vertx.close() : vertx.undeploy(deployment);
  }
}
