package io.oxllm.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import io.oxllm.Version;
import io.oxllm.config.TelemetryConfig;
import io.oxllm.routing.RoutingVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The telemetry worker: deployed with worker threading on its own one-thread pool, it drains the
 * {@link Telemetry} queue on a timer paced by the rate records arrive at ({@link DrainPace}), or at
 * once when an offer finds it half full ({@link #drainSoon}), into metrics, the request log and
 * OTLP spans. The timer and the exports' I/O run on telemetry's own event loop
 * ({@link TelemetryLoop}), not on a request path's. Exports are asynchronous and bounded
 * ({@link OtlpExport}); nothing here waits on the collector, and the final flush at undeploy is
 * bounded by {@code shutdownMs}. A reload may change the endpoint and the log
 * ({@link #reconfigure}); the metrics and the queue stay.
 */
final class TelemetryVerticle extends VerticleBase {
  private static final int BATCH = 512;
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(1_000);

  private final Telemetry telemetry;
  private final List<RequestRecord> batch = new ArrayList<>(BATCH);
  private Tuning tuning;
  private Resource resource;
  private GenAiMetrics metrics;
  // the export to the current endpoint (null: none); read by the metric exporter's thread
  private volatile OtlpExport otlp;
  // counted by every export this worker has had, a reload's retired ones included
  private final AtomicLong exportFailures = new AtomicLong();
  private final AtomicLong spansDropped = new AtomicLong();
  private final AtomicLong logLinesLost = new AtomicLong();
  private RequestLog log;
  private TelemetryConfig applied;
  private DrainPace pace;
  private TelemetryLoop loop;
  private ScheduledFuture<?> drainTimer;
  // an offer found the queue half full and asked for a drain now; cleared when a drain begins
  private final AtomicBoolean drainRequested = new AtomicBoolean();
  private ScheduledFuture<?> stateTimer;
  private ScheduledFuture<?> metricTimer;
  private boolean stopped;
  private long processingErrors;

  TelemetryVerticle(Telemetry telemetry) {
    this.telemetry = telemetry;
  }

  @Override
  public Future<?> start() {
    TelemetryConfig c = telemetry.config();
    tuning = telemetry.tuning();
    resource = Resource.getDefault().merge(Resource.create(Attributes.of(
        AttributeKey.stringKey("service.name"), c.serviceName(),
        AttributeKey.stringKey("service.version"), Version.VALUE)));
    // always there, exporting nothing while there is no endpoint: a reload may add one
    metrics = new GenAiMetrics(resource, new OtlpMetricExporter(() -> otlp), telemetry::providerStates,
        telemetry::dropped);
    List<String> skipped = telemetry.otlpHeaders().skipped();
    if (!skipped.isEmpty()) {
      ExportFailures.LOG.log(Level.WARNING, OtlpHeaders.VARIABLE + ": left out, not valid headers for an export: "
          + String.join(", ", skipped));
    }
    loop = new TelemetryLoop(vertx);
    apply(c);
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
          drain(Integer.MAX_VALUE); // what was offered before goes where it was headed
          apply(next);
        }
      } catch (RuntimeException e) {
        ExportFailures.LOG.log(Level.WARNING, "telemetry: the reloaded [telemetry] table could not be applied", e);
      } finally {
        applied.complete();
      }
    });
    return applied.future();
  }

  /** Opens the log and the export {@code c} names, closing those it no longer does. */
  private void apply(TelemetryConfig c) {
    boolean sameLog = applied != null && applied.requestLog().equals(c.requestLog())
        && applied.requestLogMaxMb() == c.requestLogMaxMb();
    if (!sameLog) {
      if (log != null) {
        log.close();
      }
      log = c.requestLog().isEmpty() ? null : new RequestLog(Path.of(c.requestLog()), tuning.logMaxBytes(c),
          tuning.logLingerMs(), System::nanoTime, logLinesLost);
    }
    String endpoint = c.otlpEndpoint().replaceAll("/+$", "");
    OtlpExport current = otlp;
    if (current == null ? !endpoint.isEmpty() : !current.endpoint().equals(endpoint)) {
      otlp = endpoint.isEmpty() ? null : OtlpExport.open(loop.context(), endpoint,
          telemetry.otlpHeaders().headers(), resource, tuning, this::onWorker, exportFailures, spansDropped);
      if (current != null) {
        current.close(tuning.shutdownMs()); // sends what it held, on its own; bounded
      }
    }
    applied = c;
  }

  private void tick() {
    if (stopped) {
      return; // a timer that fired as stop() began
    }
    drainRequested.set(false);
    long began = System.nanoTime();
    int drained = drain(Integer.MAX_VALUE);
    scheduleDrain(pace.nextDelayMs(drained, began));
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

  /** Takes up to {@code max} records off the queue and hands each to every sink; returns how many. */
  private int drain(int max) {
    int total = 0;
    while (total < max) {
      batch.clear();
      int n = telemetry.drainTo(batch, Math.min(BATCH, max - total));
      if (n == 0) {
        break;
      }
      process(batch);
      total += n;
      telemetry.processed(n);
    }
    batch.clear();
    if (log != null) {
      log.writeLingering();
    }
    OtlpExport export = otlp;
    if (export != null) {
      export.ship();
    }
    return total;
  }

  /**
   * Hands a batch to each sink in turn (metrics, then the log, then spans) rather than each record
   * to every sink: a sink's own state (the metrics' storage, the log's encoder and chunk, the span
   * encoder's caches) then stays in cache across the batch instead of being evicted by the other
   * sinks' at every record. The records themselves (~300 bytes each, 512 at most) stay in cache
   * from the first pass to the last.
   */
  private void process(List<RequestRecord> records) {
    each(records, this::recordMetrics);
    RequestLog l = log;
    if (l != null) {
      each(records, l::write);
    }
    OtlpExport export = otlp;
    if (export != null) {
      each(records, export::add);
    }
  }

  private void recordMetrics(RequestRecord r) {
    telemetry.countTokens(r);
    metrics.record(r);
  }

  /** Hands every record to {@code sink}; one that fails there is lost to that sink alone. */
  private void each(List<RequestRecord> records, Consumer<RequestRecord> sink) {
    for (RequestRecord r : records) {
      try {
        sink.accept(r);
      } catch (RuntimeException e) {
        processingFailed(e);
      }
    }
  }

  /** A malformed record must not stop the worker, nor stop the other sinks getting it: reports the first only. */
  private void processingFailed(RuntimeException e) {
    if (processingErrors++ == 0) {
      ExportFailures.LOG.log(Level.WARNING, "telemetry: a request record could not be processed", e);
    }
  }

  /** The periodic OTLP metric export: to whatever endpoint is current, nothing while there is none. */
  private void exportMetrics() {
    if (!stopped) {
      metrics.exportNow(); // its outcome is counted and reported by the export (ExportFailures)
    }
  }

  /** The routing verticle owns circuit states: ask it (cheap, local) for the gauge's values. */
  private void pollProviderStates() {
    if (otlp == null || stopped) {
      return; // only OTLP needs them from here (/metrics asks the routing verticle itself); or stopped
    }
    vertx.eventBus().<JsonObject>request(RoutingVerticle.ADMIN, new JsonObject().put("op", "status"), LOCAL)
        .onSuccess(reply -> {
          Map<String, Integer> states = new HashMap<>();
          for (Object o : reply.body().getJsonArray("providers", new io.vertx.core.json.JsonArray())) {
            JsonObject p = (JsonObject) o;
            states.put(p.getString("name"), switch (p.getString("state", "closed")) {
              case "half_open" -> 1;
              case "open" -> 2;
              default -> 0;
            });
          }
          telemetry.providerStates(states);
        }); // no routing verticle (yet, or any more): keep the last states
  }

  /**
   * Final flush, bounded by {@code shutdownMs}: drain once, close the log, the last span and metric
   * exports, then close the span client and end telemetry's loop. Nothing blocks this worker
   * thread: the span exports' answers arrive on telemetry's loop.
   */
  @Override
  public Future<?> stop() {
    stopped = true;
    drainRequested.set(true); // for good: no offer asks a stopped worker for a drain
    drainTimer.cancel(false);
    stateTimer.cancel(false);
    metricTimer.cancel(false);
    drain(telemetry.config().queueCapacity());
    if (log != null) {
      log.close();
    }
    long boundMs = tuning.shutdownMs();
    OtlpExport last = otlp;
    Future<Void> spansDone = last == null ? Future.succeededFuture() : last.flush();
    // the final metric export is waited for (bounded): give the wait its own thread
    Promise<Void> metricsDone = Promise.promise();
    Thread metricsShutdown = new Thread(() -> {
      metrics.shutdown().join(boundMs, TimeUnit.MILLISECONDS);
      metricsDone.tryComplete();
    }, "oxllm-telemetry-shutdown");
    metricsShutdown.setDaemon(true);
    metricsShutdown.start();
    Future<Void> flushed = Future.join(spansDone, metricsDone.future()).<Void>mapEmpty()
        .timeout(boundMs, TimeUnit.MILLISECONDS);
    return flushed.eventually(() -> last == null ? Future.succeededFuture() : last.shutdown())
        .eventually(loop::shutdown)
        .otherwiseEmpty();
  }

  /** Failed exports to every endpoint this worker has had. */
  long exportFailures() {
    return exportFailures.get();
  }

  GenAiMetrics metrics() {
    return metrics;
  }

  /** Spans dropped, by every endpoint this worker has had. */
  long spansDropped() {
    return spansDropped.get();
  }

  /** Request log lines lost to I/O errors, in every log this worker has had. */
  long logLinesLost() {
    return logLinesLost.get();
  }
}
