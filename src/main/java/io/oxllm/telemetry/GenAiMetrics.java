package io.oxllm.telemetry;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.resources.Resource;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The one metrics model (SPEC section 7), in an SDK {@link SdkMeterProvider} with one reader, a
 * cumulative {@link PullMetricReader}: {@code /metrics} renders what it collects, and
 * {@link #exportNow} hands the same collection to the OTLP exporter (the worker calls it every
 * interval, and {@link #shutdown} once more). Why not a second, periodic reader for OTLP: every
 * reader keeps its own storage that each recorded value goes into, and with two readers recording
 * cost twice as much (168 against 81 ns a record, microbenchmark), for the same cumulative numbers.
 * The worker thread records and exports; collection for {@code /metrics} may happen on any thread.
 */
final class GenAiMetrics {
  private static final Attributes INPUT = Attributes.of(SemConv.TOKEN_TYPE, "input");
  private static final Attributes OUTPUT = Attributes.of(SemConv.TOKEN_TYPE, "output");
  static final int MAX_MODEL_LABELS = 256;
  static final int MAX_MODEL_LENGTH = 128;
  static final String OTHER_MODEL = "_OTHER";

  private final SdkMeterProvider provider;
  private final Meter meter;
  private final PullMetricReader pull = new PullMetricReader();
  private final OtlpMetricExporter otlp;
  private final LongHistogram tokenUsage;
  private final DoubleHistogram duration;
  private final DoubleHistogram timeToFirstToken;
  // see attributeSets
  private final Map<AttributeKey, AttributeSets> attributeCache = new HashMap<>();
  // see modelLabel
  private final Set<String> modelLabels = new HashSet<>();
  private final Supplier<Set<String>> configuredModels;

  /**
   * @param otlp the OTLP metric exporter {@link #exportNow} uses, or null for none
   * @param providers each provider's gauges (circuit state, offline, rate limited), read at each collection
   * @param dropped the records the queue refused so far
   * @param configuredModels the model names the config serves now: each keeps its own label
   */
  GenAiMetrics(Resource resource, OtlpMetricExporter otlp, Supplier<Map<String, ProviderGauges>> providers,
      LongSupplier dropped, Supplier<Set<String>> configuredModels) {
    this.otlp = otlp;
    this.configuredModels = configuredModels;
    provider = SdkMeterProvider.builder().setResource(resource).registerMetricReader(pull).build();
    meter = provider.meterBuilder("io.oxllm.telemetry").build();
    tokenUsage = meter.histogramBuilder(SemConv.TOKEN_USAGE).ofLongs().setUnit("{token}")
        .setDescription("Tokens used per request, by gen_ai.token.type (input or output).")
        .setExplicitBucketBoundariesAdvice(SemConv.TOKEN_BUCKETS).build();
    duration = meter.histogramBuilder(SemConv.OPERATION_DURATION).setUnit("s")
        .setDescription("Request duration, from arrival to the last byte of the response.")
        .setExplicitBucketBoundariesAdvice(SemConv.DURATION_BUCKETS).build();
    timeToFirstToken = meter.histogramBuilder(SemConv.TIME_TO_FIRST_TOKEN).setUnit("s")
        .setDescription("Streams: time from arrival to the first token.")
        .setExplicitBucketBoundariesAdvice(SemConv.TTFT_BUCKETS).build();
    meter.gaugeBuilder(SemConv.PROVIDER_STATE).ofLongs().setUnit("1")
        .setDescription("Circuit state per provider: 0 closed, 1 half_open, 2 open.")
        .buildWithCallback(m -> providers.get()
            .forEach((name, g) -> m.record(g.state(), Attributes.of(SemConv.PROVIDER, name))));
    meter.gaugeBuilder(SemConv.PROVIDER_OFFLINE).ofLongs().setUnit("1")
        .setDescription("1 when an operator took the provider offline.")
        .buildWithCallback(m -> providers.get()
            .forEach((name, g) -> m.record(g.offline() ? 1 : 0, Attributes.of(SemConv.PROVIDER, name))));
    meter.gaugeBuilder(SemConv.PROVIDER_RATE_LIMITED).ofLongs().setUnit("1")
        .setDescription("1 while the provider cools down after a 429.")
        .buildWithCallback(m -> providers.get()
            .forEach((name, g) -> m.record(g.rateLimited() ? 1 : 0, Attributes.of(SemConv.PROVIDER, name))));
    meter.counterBuilder(SemConv.TELEMETRY_DROPPED).setUnit("{record}")
        .setDescription("Request records dropped because the telemetry queue was full.")
        .buildWithCallback(m -> m.record(dropped.getAsLong()));
  }

  /**
   * The request-body gauges: the bytes of request bodies held in memory now, and the bound past
   * which a request is refused with 503 {@code server_busy}, read at each collection.
   */
  void watchRequestBodies(LongSupplier held, LongSupplier limit) {
    meter.gaugeBuilder(SemConv.REQUEST_BODIES_HELD).ofLongs().setUnit("By")
        .setDescription("Bytes of request bodies held in memory by the requests in flight.")
        .buildWithCallback(m -> m.record(held.getAsLong()));
    meter.gaugeBuilder(SemConv.REQUEST_BODIES_LIMIT).ofLongs().setUnit("By")
        .setDescription("The bound on them (server.body_memory_bytes); past it a request gets 503 server_busy.")
        .buildWithCallback(m -> m.record(limit.getAsLong()));
  }

  /** Records one request's duration, time to first token and token counts. */
  void record(RequestRecord r) {
    if (SharedStrings.OTHER_OPERATION.equals(r.operation())) {
      return; // no GenAI operation was asked for: POST /v1/foo, or DELETE /v1/chat/completions
    }
    AttributeSets a = attributeSets(r);
    duration.record(Math.max(0, r.endEpochNanos() - r.startEpochNanos()) / 1e9, a.duration());
    // the GenAI conventions' "for successful responses": a stream cut, or left by its client, is none
    if (r.ttftNanos() >= 0 && r.outcome() == Outcome.OK) {
      timeToFirstToken.record(r.ttftNanos() / 1e9, a.base());
    }
    if (r.inputTokens() >= 0) {
      tokenUsage.record(r.inputTokens(), a.input());
    }
    if (r.outputTokens() >= 0) {
      tokenUsage.record(r.outputTokens(), a.output());
    }
  }

  private record AttributeKey(String operation, String provider, String model, String errorType) {}

  private record AttributeSets(Attributes base, Attributes duration, Attributes input, Attributes output) {}

  /**
   * The attribute sets of one (operation, provider, model, error) combination, built once: the
   * worker records every request, and rebuilding four Attributes per record was most of its
   * allocation. Only the worker thread calls this; bounded, cleared when full.
   */
  private AttributeSets attributeSets(RequestRecord r) {
    // the requested model for every request that was routed, answered or not (failures too, so an
    // error rate per model can be read); not for one refused before routing (model_not_found & co)
    String model = r.outcome() == Outcome.REJECTED ? null : modelLabel(r.requestedModel());
    AttributeKey key = new AttributeKey(r.operation(), r.provider(), model, r.errorType());
    AttributeSets sets = attributeCache.get(key);
    if (sets == null) {
      if (attributeCache.size() >= 1024) {
        attributeCache.clear();
      }
      AttributesBuilder b = Attributes.builder().put(SemConv.OPERATION, r.operation());
      if (r.provider() != null) {
        b.put(SemConv.PROVIDER, r.provider());
      }
      if (model != null) {
        b.put(SemConv.REQUEST_MODEL, model);
      }
      Attributes base = b.build();
      Attributes duration = r.errorType() == null ? base : base.toBuilder().put(SemConv.ERROR_TYPE, r.errorType()).build();
      sets = new AttributeSets(base, duration, base.toBuilder().putAll(INPUT).build(),
          base.toBuilder().putAll(OUTPUT).build());
      attributeCache.put(key, sets);
    }
    return sets;
  }

  /**
   * The {@code gen_ai.request.model} label for a requested model: the name itself for a model the
   * config serves, and for the first {@value #MAX_MODEL_LABELS} other names of at most
   * {@value #MAX_MODEL_LENGTH} characters, else {@code _OTHER}. A client names any model it likes
   * through {@code provider/model}, and every distinct label is a series per bucket in
   * {@code /metrics} and in every export, kept for good. Only the worker thread calls this.
   */
  private String modelLabel(String model) {
    if (model == null || modelLabels.contains(model) || configuredModels.get().contains(model)) {
      return model;
    }
    if (model.length() > MAX_MODEL_LENGTH || modelLabels.size() >= MAX_MODEL_LABELS) {
      return OTHER_MODEL;
    }
    modelLabels.add(model);
    return model;
  }

  /** What the pull reader sees now (cumulative since start). */
  Collection<MetricData> collect() {
    return pull.collect();
  }

  /**
   * Sends what the reader holds now (cumulative since start) through the OTLP exporter; completes
   * with the export. Collects and marshals on the caller's thread: the worker's, never an event loop.
   */
  CompletableResultCode exportNow() {
    return otlp == null ? CompletableResultCode.ofSuccess() : otlp.export(pull::collect);
  }

  /** The final OTLP export, then the provider's shutdown; completes when both have. */
  CompletableResultCode shutdown() {
    CompletableResultCode last = exportNow();
    return CompletableResultCode.ofAll(List.of(last, provider.shutdown()));
  }
}
