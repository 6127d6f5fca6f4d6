package io.oxllm;

import io.oxllm.config.GatewayConfig;
import io.oxllm.http.BodyBudget;
import io.oxllm.http.HttpVerticle;
import io.oxllm.routing.ConfigSource;
import io.oxllm.routing.GatewayState;
import io.oxllm.routing.LocalCodec;
import io.oxllm.routing.RoutingVerticle;
import io.oxllm.telemetry.Telemetry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Deploys a gateway into a Vertx: the telemetry worker, the routing verticle, then N HTTP verticle
 * instances on one port. Used by {@code Main} and by the tests (which give port 0 and read
 * {@link #port()}).
 */
public final class Gateway {
  private final Vertx vertx;
  private final GatewayState state;
  private final Telemetry telemetry;
  private final String telemetryDeployment;
  private final List<String> deployments;
  private final int port;
  private Future<Void> closing;
  private static final AtomicInteger EPHEMERAL_KEYS = new AtomicInteger();

  private Gateway(Vertx vertx, GatewayState state, Telemetry telemetry, String telemetryDeployment,
      List<String> deployments, int port) {
    this.vertx = vertx;
    this.state = state;
    this.telemetry = telemetry;
    this.telemetryDeployment = telemetryDeployment;
    this.deployments = deployments;
    this.port = port;
  }

  /** A gateway whose config does not come from a file (tests): reload has nothing to re-read. */
  public static Future<Gateway> deploy(Vertx vertx, GatewayConfig config) {
    return deploy(vertx, config, ConfigSource.none());
  }

  /** A gateway whose config came from {@code source}: the file is watched and re-read on reload. */
  public static Future<Gateway> deploy(Vertx vertx, GatewayConfig config, ConfigSource source) {
    LocalCodec.registerAll(vertx);
    // one telemetry per gateway: a reload reconfigures its exports (the routing verticle tells it)
    Telemetry telemetry = Telemetry.create(config.telemetry());
    GatewayState state = new GatewayState(config, telemetry);
    String[] telemetryId = new String[1];
    int instances = config.server().effectiveInstances();
    List<String> ids = new ArrayList<>();
    // Port 0 is not shared between servers; a negative port is: Vert.x binds one random port per
    // negative key and lets every server asking for that key share it. One key per gateway.
    int configured = config.server().port();
    int listenPort = configured == 0 && instances > 1 ? -EPHEMERAL_KEYS.incrementAndGet() : configured;
    AtomicInteger port = new AtomicInteger(configured);
    BodyBudget bodies = new BodyBudget(); // request bodies held, all instances together
    telemetry.watchRequestBodies(bodies::held, () -> BodyBudget.limit(state.config().server()));
    return telemetry.deploy(vertx)
        .compose(id -> {
          telemetryId[0] = id;
          return vertx.deployVerticle(new RoutingVerticle(state, source));
        })
        .compose(id -> {
          ids.add(id);
          return vertx.deployVerticle(new HttpVerticle(state, bodies, listenPort, instances, port::set));
        })
        .compose(id -> {
          ids.add(id);
          if (instances == 1) {
            return Future.succeededFuture(id);
          }
          return vertx.deployVerticle(() -> new HttpVerticle(state, bodies, listenPort, instances, p -> { }),
              new DeploymentOptions().setInstances(instances - 1));
        })
        .map(id -> {
          if (!ids.contains(id)) {
            ids.add(id);
          }
          Gateway gateway = new Gateway(vertx, state, telemetry, telemetryId[0], ids, port.get());
          // without a process owner (tests), an admin shutdown stops this gateway
          state.onShutdownRequest(() -> gateway.close());
          return gateway;
        });
  }

  /** The port the data plane listens on. */
  public int port() {
    return port;
  }

  public GatewayState state() {
    return state;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** This gateway's telemetry: the request path offers its records here. */
  public Telemetry telemetry() {
    return telemetry;
  }

  /**
   * Graceful stop (SPEC section 8): draining at once ({@code /readyz} 503), the HTTP verticles
   * stop accepting and let in-flight requests finish within {@code shutdown_grace_secs}, then the
   * routing verticle goes, and last the telemetry worker, whose final flush is bounded (a few
   * seconds at most, even with a dead collector). Safe to call twice.
   */
  public synchronized Future<Void> close() {
    if (closing == null) {
      state.startDraining();
      // all HTTP deployments drain in parallel (one grace period in all), then routing goes
      List<Future<Void>> http = new ArrayList<>();
      for (String id : deployments.subList(1, deployments.size())) {
        http.add(vertx.undeploy(id));
      }
      // telemetry goes last, after every record is offered; its outcome does not mask routing's
      closing = Future.join(http).transform(ar -> vertx.undeploy(deployments.get(0)))
          .transform(routing -> vertx.undeploy(telemetryDeployment).transform(t -> routing.succeeded()
              ? Future.<Void>succeededFuture() : Future.<Void>failedFuture(routing.cause())));
    }
    return closing;
  }
}
