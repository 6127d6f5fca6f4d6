package io.oxllm.routing;

import io.oxllm.config.GatewayConfig;
import io.oxllm.telemetry.Telemetry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The few facts every HTTP verticle instance reads on each request, published by their single
 * owners: the routing verticle publishes the config snapshot and readiness, the shutdown path sets
 * draining (and, while draining, the HTTP instances say which of them still run exchanges). Fields are volatile references to immutable values: readers never lock, and a reader
 * sees either the old snapshot or the new one, never a mix.
 */
public final class GatewayState {
  private volatile GatewayConfig config;
  private volatile boolean ready = true;
  private volatile boolean draining;
  // while draining, whether each HTTP instance still runs exchanges (true until it says otherwise):
  // an instance holds its open connections until none does (http.ClientConnections), since a client's
  // next request on an idle connection of one instance is as much due its 503 as on another's
  private final Map<Object, Boolean> instancesBusy = new ConcurrentHashMap<>();

  private final Telemetry telemetry;

  public GatewayState(GatewayConfig initial, Telemetry telemetry) {
    this.config = initial;
    this.telemetry = telemetry;
  }

  /** Where the request path offers its records (never blocks). */
  public Telemetry telemetry() {
    return telemetry;
  }

  public GatewayConfig config() {
    return config;
  }

  /** Only the routing verticle calls this. */
  void publish(GatewayConfig config, boolean ready) {
    this.config = config;
    this.ready = ready;
  }

  /** Only the routing verticle calls this. */
  void publishReady(boolean ready) {
    this.ready = ready;
  }

  /** At least one provider usable, and not draining. */
  public boolean ready() {
    return ready && !draining;
  }

  public boolean draining() {
    return draining;
  }

  public void startDraining() {
    this.draining = true;
  }

  /** An HTTP instance says whether it runs exchanges; it first says so (true) when it listens. */
  public void instanceBusy(Object instance, boolean busy) {
    instancesBusy.put(instance, busy);
  }

  /** Some HTTP instance has not said it is idle. */
  public boolean anyInstanceBusy() {
    return instancesBusy.containsValue(Boolean.TRUE);
  }

  private volatile Runnable shutdownAction = () -> { };

  /** What {@code POST /admin/shutdown} does: set once by whoever owns the process (Main, or a test). */
  public void onShutdownRequest(Runnable action) {
    this.shutdownAction = action;
  }

  /** Asks the process owner to shut down gracefully (returns at once; the stop runs elsewhere). */
  public void requestShutdown() {
    startDraining();
    shutdownAction.run();
  }
}
