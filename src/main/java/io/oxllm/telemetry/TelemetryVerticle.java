package io.oxllm.telemetry;

import io.oxllm.config.TelemetryConfig;
import io.oxllm.routing.RoutingVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The telemetry worker: deployed with worker threading on its own one-thread pool, it drains the
 * {@link Telemetry} queue on a timer paced by the rate records arrive at ({@link DrainPace}), or at
 * once when an offer finds it half full ({@link #drainSoon}), into its {@link RecordSinks}:
 * metrics, the request log and OTLP spans. The timer and the exports' I/O run on telemetry's own event loop
 * ({@link TelemetryLoop}), not on a request path's. Exports are asynchronous and bounded
 * ({@link OtlpExport}); nothing here waits on the collector, and the final flush at undeploy is
 * bounded by {@code shutdownMs}. A reload may change the endpoint and the log
 * ({@link #reconfigure}); the metrics and the queue stay.
 */
final class TelemetryVerticle extends VerticleBase {
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(1_000);

  private final Telemetry telemetry;
  private Tuning tuning;
  private RecordSinks sinks;
  private DrainPace pace;
  private TelemetryLoop loop;
  private ScheduledFuture<?> drainTimer;
  // an offer found the queue half full and asked for a drain now; cleared when a drain begins
  private final AtomicBoolean drainRequested = new AtomicBoolean();
  private ScheduledFuture<?> stateTimer;
  private ScheduledFuture<?> metricTimer;
  private boolean stopped;

  TelemetryVerticle(Telemetry telemetry) {
    this.telemetry = telemetry;
  }

  @Override
  public Future<?> start() {
    TelemetryConfig c = telemetry.config();
    tuning = telemetry.tuning();
    loop = new TelemetryLoop(vertx);
    sinks = new RecordSinks(telemetry, loop.context(), this::onWorker);
    sinks.apply(c);
    telemetry.attach(this);
    stateTimer = loop.every(() -> onWorker(this::pollProviderStates), 0, tuning.statePollMs());
    long metricMs = tuning.metricInterval().toMillis();
    metricTimer = loop.every(() -> onWorker(this::exportMetrics), metricMs, metricMs);
    pace = new DrainPace(c.queueCapacity(), tuning.minDrainMs(), tuning.maxDrainMs(), System.nanoTime());
    scheduleDrain(tuning.maxDrainMs());
    return Future.succeededFuture();
  }

  /**
   * A reload's {@code [telemetry]} table, applied on this worker's thread in order with the
   * drains; the future completes on the caller's context once it is.
   */
  Future<Void> reconfigure(TelemetryConfig next) {
    Promise<Void> applied = ((ContextInternal) vertx.getOrCreateContext()).promise();
    context.runOnContext(v -> {
      try {
        if (!stopped) {
          sinks.drain(Integer.MAX_VALUE); // what was offered before goes where it was headed
          sinks.apply(next);
        }
      } catch (RuntimeException e) {
        ExportFailures.LOG.log(Level.WARNING, "telemetry: the reloaded [telemetry] table could not be applied", e);
      } finally {
        applied.complete();
      }
    });
    return applied.future();
  }

  private void tick() {
    if (stopped) {
      return; // a timer that fired as stop() began
    }
    drainRequested.set(false);
    long began = System.nanoTime();
    int drained = 0;
    try {
      drained = sinks.drain(Integer.MAX_VALUE);
    } finally {
      // whatever a drain threw, the next comes: without it the worker never drained again, and
      // the request log, spans and metrics stopped until a restart (a telemetry audit)
      scheduleDrain(pace.nextDelayMs(drained, began));
    }
  }

  /**
   * Asks for a drain now instead of at the paced time: the queue is half full (a burst after a
   * quiet spell, which the pace, set by the rate before it, would let overflow). Any thread;
   * queues one task for this worker, none while one is pending.
   */
  void drainSoon() {
    if (!drainRequested.get() && drainRequested.compareAndSet(false, true)) {
      try {
        context.runOnContext(v -> drainEarly());
      } catch (RuntimeException e) {
        // the worker's pool has closed (a shutdown raced this offer): nothing drains any more
      }
    }
  }

  private void drainEarly() {
    // a timer that cannot be cancelled has fired: its tick is queued on this thread and drains
    if (!stopped && drainTimer.cancel(false)) {
      tick();
    }
  }

  /** The next {@link #tick}, on this worker's thread, timed by telemetry's loop. */
  private void scheduleDrain(long delayMs) {
    drainTimer = loop.schedule(() -> onWorker(this::tick), delayMs);
  }

  /** Runs {@code task} on this worker's thread. */
  private void onWorker(Runnable task) {
    context.runOnContext(v -> task.run());
  }

  /** The periodic OTLP metric export: to whatever endpoint is current, nothing while there is none. */
  private void exportMetrics() {
    if (!stopped) {
      sinks.exportMetrics();
    }
  }

  /** The routing verticle owns provider health: ask it (cheap, local) for the gauges' values. */
  private void pollProviderStates() {
    if (!sinks.exporting() || stopped) {
      return; // only OTLP needs them from here (/metrics asks the routing verticle itself); or stopped
    }
    // no answer (no routing verticle, yet or any more): the last states stay
    vertx.eventBus().<JsonObject>request(RoutingVerticle.ADMIN, new JsonObject().put("op", "status"), LOCAL)
        .onSuccess(reply -> telemetry.providerGauges(ProviderGauges.byName(reply.body())));
  }

  /**
   * Final flush, bounded by {@code shutdownMs}: drain once, close the sinks (the log, the last span
   * and metric exports, the span client: {@link RecordSinks#close}), then end telemetry's loop.
   * Nothing blocks this worker thread.
   */
  @Override
  public Future<?> stop() {
    stopped = true;
    drainRequested.set(true); // for good: no offer asks a stopped worker for a drain
    drainTimer.cancel(false);
    stateTimer.cancel(false);
    metricTimer.cancel(false);
    sinks.drain(telemetry.config().queueCapacity());
    return sinks.close().eventually(loop::shutdown).otherwiseEmpty();
  }

  /** Where the records go: the metrics, the log and the export, with their counters. */
  RecordSinks sinks() {
    return sinks;
  }
}
