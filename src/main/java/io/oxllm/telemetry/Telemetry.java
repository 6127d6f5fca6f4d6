package io.oxllm.telemetry;

import io.oxllm.config.TelemetryConfig;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;

/**
 * Telemetry off the request path (SPEC section 7), one per gateway. The request path calls only
 * {@link #offer}: a lock-free put into a bounded queue, dropped and counted when full. The
 * telemetry worker ({@link #deploy}) drains it into spans, metrics, the request log and the
 * per-provider token totals. Counters are thread-safe: the routing verticle reads them for
 * {@code /status}, an HTTP verticle renders {@link #prometheusText} for {@code /metrics}.
 */
public final class Telemetry {
  private static final long BASE_EPOCH_NANOS;
  private static final long BASE_NANO_TIME;

  static {
    Instant now = Instant.now();
    BASE_NANO_TIME = System.nanoTime();
    BASE_EPOCH_NANOS = now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /** One provider's token totals; written by the worker only. */
  private record Tokens(AtomicLong input, AtomicLong output) {}

  private final TelemetryConfig config;
  private final Tuning tuning;
  private final OtlpHeaders.Parsed otlpHeaders;
  // many event loops offer, one worker drains. Lock-free: an ArrayBlockingQueue's offer takes the
  // lock its drainTo holds, so an event loop could wait on a worker descheduled mid-drain
  private final MpscAtomicArrayQueue<RequestRecord> queue;
  private final int capacity;
  // from this depth on, an offer asks the worker to drain now rather than at its paced time
  private final int wakeDepth;
  private final LongAdder dropped = new LongAdder();
  private final AtomicLong exported = new AtomicLong();
  private final Map<String, Tokens> tokens = new ConcurrentHashMap<>();
  private volatile Map<String, ProviderGauges> providerGauges = Map.of();
  private volatile LongSupplier bodiesHeld = () -> 0;
  private volatile LongSupplier bodiesLimit = () -> 0;
  private volatile TelemetryVerticle worker;
  private volatile Set<String> configuredModels = Set.of();

  Telemetry(TelemetryConfig config, Tuning tuning) {
    this(config, tuning, OtlpHeaders.parse(""));
  }

  Telemetry(TelemetryConfig config, Tuning tuning, OtlpHeaders.Parsed otlpHeaders) {
    this.config = config;
    this.tuning = tuning;
    this.otlpHeaders = otlpHeaders;
    this.capacity = config.queueCapacity();
    // the array is a power of two of at least two places; the threshold offer keeps to capacity
    this.queue = new MpscAtomicArrayQueue<>(Math.max(2, capacity));
    this.wakeDepth = Math.max(1, capacity / 2);
  }

  /** The telemetry of a gateway with this {@code [telemetry]} table; nothing runs until {@link #deploy}. */
  public static Telemetry create(TelemetryConfig config) {
    return new Telemetry(config, Tuning.of(config, System::getenv), OtlpHeaders.fromEnvironment(System::getenv));
  }

  /**
   * Deploys the worker verticle (worker threading, its own one-thread pool {@code oxllm-telemetry},
   * so file writes and exporter calls never touch an event loop). Undeploying it flushes, bounded.
   */
  public Future<String> deploy(Vertx vertx) {
    return vertx.deployVerticle(new TelemetryVerticle(this), new DeploymentOptions()
        .setThreadingModel(ThreadingModel.WORKER).setWorkerPoolName("oxllm-telemetry").setWorkerPoolSize(1));
  }

  /**
   * Hands one finished request to telemetry. Non-blocking and never throws: false (and
   * {@link #dropped()} goes up) when the queue is full or the record is null. An offer that finds
   * the queue half full asks the worker to drain now ({@link TelemetryVerticle#drainSoon}): the
   * worker paces its drains by the rate records came at, and a burst after a quiet spell would
   * otherwise fill the queue before the next drain.
   */
  public boolean offer(RequestRecord r) {
    if (r == null) {
      dropped.increment();
      return false;
    }
    // below the wake depth the offer itself tells (it reads the worker's index only when its cached
    // bound says the queue may be that deep); a separate size() would read it on every request
    if (queue.offerIfBelowThreshold(r, wakeDepth - 1)) {
      return true;
    }
    if (queue.offerIfBelowThreshold(r, capacity)) {
      TelemetryVerticle w = worker;
      if (w != null) {
        w.drainSoon();
      }
      return true;
    }
    dropped.increment();
    return false;
  }

  /** Records refused because the queue was full. */
  public long dropped() {
    return dropped.sum();
  }

  /** Records waiting for the worker. */
  public int queueDepth() {
    return queue.size();
  }

  /** Records the worker has taken off the queue and turned into metrics, log lines and spans. */
  public long exported() {
    return exported.get();
  }

  /**
   * A reload's {@code [telemetry]} table: the worker sends what it holds to where it was headed,
   * then exports to the new {@code otlp_endpoint} and writes the new {@code request_log}. The
   * queue, the metrics and the counters stay; {@code queue_capacity}, {@code service_name} and
   * {@code metrics_interval_secs} keep their start values until a restart
   * ({@code ReloadStatus.restartRequired} says so). Any thread; the future completes, on the
   * caller's context, once the worker has switched (records offered after that go to the new
   * sinks), at once when there is no worker.
   */
  public Future<Void> reconfigure(TelemetryConfig next) {
    TelemetryVerticle w = worker;
    return w == null ? Future.succeededFuture() : w.reconfigure(next);
  }

  /**
   * A cheap wall clock in epoch nanoseconds for record timestamps: the epoch read once at class
   * load plus the monotonic {@link System#nanoTime()} since, so durations computed from two
   * readings are exact and never negative.
   */
  public static long epochNanos() {
    return BASE_EPOCH_NANOS + (System.nanoTime() - BASE_NANO_TIME);
  }

  /** Input tokens counted for this provider's answers so far (0 when none or unknown). */
  public long inputTokens(String provider) {
    Tokens t = tokens.get(provider);
    return t == null ? 0 : t.input().get();
  }

  /** Output tokens counted for this provider's answers so far. */
  public long outputTokens(String provider) {
    Tokens t = tokens.get(provider);
    return t == null ? 0 : t.output().get();
  }

  /** Failed OTLP exports (spans and metrics) since start, to every endpoint it has had. */
  public long exportFailures() {
    TelemetryVerticle w = worker;
    return w == null ? 0 : w.sinks().exportFailures();
  }

  /** Spans dropped: their export failed, or the collector was too slow and the span buffer full. */
  public long spansDropped() {
    TelemetryVerticle w = worker;
    return w == null ? 0 : w.sinks().spansDropped();
  }

  /** Request log lines lost to I/O errors (an unwritable path, a full disk) since start. */
  public long logLinesLost() {
    TelemetryVerticle w = worker;
    return w == null ? 0 : w.sinks().logLinesLost();
  }

  /** The {@code telemetry} object of {@code /status}. */
  public JsonObject statusJson() {
    return new JsonObject()
        .put("queue_depth", queueDepth())
        .put("exported", exported())
        .put("dropped", dropped())
        .put("export_failures", exportFailures())
        .put("spans_dropped", spansDropped())
        .put("log_lines_lost", logLinesLost());
  }

  /**
   * The metrics model in Prometheus text format (0.0.4), without the families named in
   * {@code skipOtelNames} (OTel names, e.g. {@code oxllm.provider.state} when the caller renders
   * that itself). Empty before the worker starts. Collection is in memory: fine on an event loop.
   */
  public String prometheusText(Set<String> skipOtelNames) {
    TelemetryVerticle w = worker;
    if (w == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(4096);
    PrometheusFormat.write(w.sinks().metrics().collect(), skipOtelNames, out);
    return out.toString();
  }

  /** The {@code [telemetry]} table at start (a reload's goes to {@link #reconfigure}). */
  TelemetryConfig config() {
    return config;
  }

  Tuning tuning() {
    return tuning;
  }

  /** Headers for every OTLP export ({@code OTEL_EXPORTER_OTLP_HEADERS}, read at start). */
  OtlpHeaders.Parsed otlpHeaders() {
    return otlpHeaders;
  }

  /** Moves up to {@code max} records into {@code into}; the worker thread only. */
  int drainTo(java.util.Collection<RequestRecord> into, int max) {
    return queue.drain(into::add, max);
  }

  void processed(int n) {
    exported.addAndGet(n);
  }

  void countTokens(RequestRecord r) {
    if (r.provider() == null || (r.inputTokens() <= 0 && r.outputTokens() <= 0)) {
      return;
    }
    Tokens t = tokens.computeIfAbsent(r.provider(), k -> new Tokens(new AtomicLong(), new AtomicLong()));
    t.input().addAndGet(Math.max(0, r.inputTokens()));
    t.output().addAndGet(Math.max(0, r.outputTokens()));
  }

  /**
   * Where the request-body gauges read from: the bytes of request bodies held now, and the bound
   * on them ({@code server.body_memory_bytes} as the current config resolves it).
   */
  public void watchRequestBodies(LongSupplier held, LongSupplier limit) {
    bodiesHeld = held;
    bodiesLimit = limit;
  }

  /**
   * The model names the config serves (virtual models, and the models providers list), each of
   * which keeps its own {@code gen_ai.request.model} label whatever else clients named: the cap on
   * those labels is first come, first served, and 256 names made up through {@code provider/model}
   * had put the operator's own models under {@code _OTHER} until a restart (a telemetry audit).
   * Set by the routing verticle at start and at each reload.
   */
  public void modelsConfigured(Set<String> names) {
    configuredModels = Set.copyOf(names);
  }

  Set<String> configuredModels() {
    return configuredModels;
  }

  long requestBodiesHeld() {
    return bodiesHeld.getAsLong();
  }

  long requestBodiesLimit() {
    return bodiesLimit.getAsLong();
  }

  Map<String, ProviderGauges> providerGauges() {
    return providerGauges;
  }

  void providerGauges(Map<String, ProviderGauges> gauges) {
    providerGauges = Map.copyOf(gauges);
  }

  void attach(TelemetryVerticle w) {
    worker = w;
  }
}
