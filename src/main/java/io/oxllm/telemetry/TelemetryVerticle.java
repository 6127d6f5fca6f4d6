package io.oxllm.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.oxllm.Version;
import io.oxllm.config.TelemetryConfig;
import io.oxllm.routing.RoutingVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The telemetry worker: deployed with worker threading on its own one-thread pool, it drains the
 * {@link Telemetry} queue on a timer paced by the rate records arrive at ({@link DrainPace}) into
 * metrics, the request log and OTLP spans. Exports are asynchronous and bounded
 * ({@link SpanShipper}); nothing here waits on the collector, and the final flush at undeploy is
 * bounded by {@code shutdownMs}.
 */
final class TelemetryVerticle extends VerticleBase {
  private static final int BATCH = 512;
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(1_000);

  private final Telemetry telemetry;
  private final List<RequestRecord> batch = new ArrayList<>(BATCH);
  private ExportFailures failures;
  private GenAiMetrics metrics;
  private OtlpHttpSender sender;
  private SpanShipper shipper;
  private RequestLog log;
  private DrainPace pace;
  private long drainTimer = -1;
  private long stateTimer = -1;
  private boolean stopped;
  private long processingErrors;

  TelemetryVerticle(Telemetry telemetry) {
    this.telemetry = telemetry;
  }

  @Override
  public Future<?> start() {
    TelemetryConfig c = telemetry.config();
    Tuning t = telemetry.tuning();
    Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
        AttributeKey.stringKey("service.name"), c.serviceName(),
        AttributeKey.stringKey("service.version"), Version.VALUE)));
    String endpoint = c.otlpEndpoint().replaceAll("/+$", "");
    failures = new ExportFailures(endpoint, t.failureReportMs(), System::currentTimeMillis);
    MetricExporter otlpMetrics = null;
    if (!endpoint.isEmpty()) {
      // one connection more than span exports may hold, so a metric export never waits behind them
      sender = new OtlpHttpSender(vertx, endpoint, t.exportTimeout(), SpanShipper.MAX_IN_FLIGHT + 1);
      otlpMetrics = new OtlpMetricExporter(sender, failures);
      OtlpTraceEncoder encoder = new OtlpTraceEncoder(resource,
          InstrumentationScopeInfo.builder("io.oxllm.telemetry").setVersion(Version.VALUE).build());
      shipper = new SpanShipper(encoder, sender, failures, task -> context.runOnContext(v -> task.run()),
          System::nanoTime, t.spanLingerMs(), t.exportBackoffMinMs(), t.exportBackoffMaxMs());
      stateTimer = vertx.setPeriodic(0, t.statePollMs(), id -> pollProviderStates());
    }
    metrics = new GenAiMetrics(resource, otlpMetrics, t.metricInterval(), telemetry::providerStates, telemetry::dropped);
    if (!c.requestLog().isEmpty()) {
      log = new RequestLog(Path.of(c.requestLog()), t.logMaxBytes());
    }
    telemetry.attach(this);
    pace = new DrainPace(c.queueCapacity(), t.minDrainMs(), t.maxDrainMs(), System.nanoTime());
    drainTimer = vertx.setTimer(t.maxDrainMs(), id -> tick());
    return Future.succeededFuture();
  }

  private void tick() {
    long began = System.nanoTime();
    int drained = drain(Integer.MAX_VALUE);
    if (!stopped) {
      drainTimer = vertx.setTimer(pace.nextDelayMs(drained, began), id -> tick());
    }
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
      for (RequestRecord r : batch) {
        process(r);
      }
      total += n;
      telemetry.processed(n);
    }
    batch.clear();
    if (log != null) {
      log.flush();
    }
    if (shipper != null) {
      shipper.ship();
    }
    return total;
  }

  private void process(RequestRecord r) {
    try {
      telemetry.countTokens(r);
      metrics.record(r);
      if (log != null) {
        log.write(r);
      }
      if (shipper != null) {
        shipper.add(r);
      }
    } catch (RuntimeException e) {
      // a malformed record must not stop the worker; report the first of each kind only
      if (processingErrors++ == 0) {
        ExportFailures.LOG.log(Level.WARNING, "telemetry: a request record could not be processed", e);
      }
    }
  }

  /** The routing verticle owns circuit states: ask it (cheap, local) for the gauge's values. */
  private void pollProviderStates() {
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
   * exports, then close the span client. Nothing blocks this worker thread: the span exports'
   * answers arrive on the sender's event loop.
   */
  @Override
  public Future<?> stop() {
    stopped = true;
    vertx.cancelTimer(drainTimer);
    vertx.cancelTimer(stateTimer);
    drain(telemetry.config().queueCapacity());
    if (log != null) {
      log.close();
    }
    long boundMs = telemetry.tuning().shutdownMs();
    Future<Void> spansDone = shipper == null ? Future.succeededFuture() : future(shipper.flush());
    // the SDK's metric shutdown blocks its caller for the final export: give it its own thread
    Promise<Void> metricsDone = Promise.promise();
    Thread metricsShutdown = new Thread(() -> {
      metrics.shutdown().join(boundMs, TimeUnit.MILLISECONDS);
      metricsDone.tryComplete();
    }, "oxllm-telemetry-shutdown");
    metricsShutdown.setDaemon(true);
    metricsShutdown.start();
    Future<Void> flushed = Future.join(spansDone, metricsDone.future()).<Void>mapEmpty()
        .timeout(boundMs, TimeUnit.MILLISECONDS);
    return flushed.eventually(() -> sender == null ? Future.succeededFuture() : sender.shutdown())
        .otherwiseEmpty();
  }

  private static Future<Void> future(CompletableResultCode code) {
    Promise<Void> done = Promise.promise();
    code.whenComplete(() -> done.tryComplete());
    return done.future();
  }

  ExportFailures failures() {
    return failures;
  }

  GenAiMetrics metrics() {
    return metrics;
  }

  long spansDropped() {
    return shipper == null ? 0 : shipper.dropped();
  }
}
