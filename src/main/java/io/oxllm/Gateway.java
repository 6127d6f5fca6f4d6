package io.oxllm;

import io.oxllm.config.GatewayConfig;
import io.oxllm.http.HttpVerticle;
import io.oxllm.routing.GatewayState;
import io.oxllm.routing.LocalCodec;
import io.oxllm.routing.RoutingVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Deploys a gateway into a Vertx: the routing verticle, then N HTTP verticle instances on one port.
 * Used by {@code Main} and by the tests (which give port 0 and read {@link #port()}).
 */
public final class Gateway {
  private final Vertx vertx;
  private final GatewayState state;
  private final List<String> deployments;
  private final int port;

  private Gateway(Vertx vertx, GatewayState state, List<String> deployments, int port) {
    this.vertx = vertx;
    this.state = state;
    this.deployments = deployments;
    this.port = port;
  }

  public static Future<Gateway> deploy(Vertx vertx, GatewayConfig config) {
    LocalCodec.registerAll(vertx);
    GatewayState state = new GatewayState(config);
    int instances = config.server().effectiveInstances();
    List<String> ids = new ArrayList<>();
    AtomicInteger port = new AtomicInteger(config.server().port());
    // The first instance binds (an ephemeral port when 0); the others then share that actual port.
    return vertx.deployVerticle(new RoutingVerticle(state))
        .compose(id -> {
          ids.add(id);
          return vertx.deployVerticle(new HttpVerticle(state, port.get(), instances, port::set));
        })
        .compose(id -> {
          ids.add(id);
          if (instances == 1) {
            return Future.succeededFuture(id);
          }
          int bound = port.get();
          return vertx.deployVerticle(() -> new HttpVerticle(state, bound, instances, p -> { }),
              new DeploymentOptions().setInstances(instances - 1));
        })
        .map(id -> {
          if (!ids.contains(id)) {
            ids.add(id);
          }
          return new Gateway(vertx, state, ids, port.get());
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

  /** Undeploys the HTTP verticles, then the routing verticle. */
  public Future<Void> close() {
    Future<Void> f = Future.succeededFuture();
    for (int i = deployments.size() - 1; i >= 0; i--) {
      String id = deployments.get(i);
      f = f.compose(v -> vertx.undeploy(id));
    }
    return f;
  }
}
