package io.oxllm.telemetry;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.SdkMeterProviderBuilder;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The one metrics model (SPEC section 7), in an SDK {@link SdkMeterProvider} with two readers: a
 * {@link PullMetricReader} that {@code /metrics} renders, and, when an OTLP exporter is given, a
 * {@link PeriodicMetricReader} pushing the same instruments every interval (and once more at
 * shutdown; the worker always gives one, which sends nowhere while there is no endpoint). The
 * worker thread records; collection may happen on any thread.
 */
final class GenAiMetrics {
  private static final Attributes INPUT = Attributes.of(SemConv.TOKEN_TYPE, "input");
  private static final Attributes OUTPUT = Attributes.of(SemConv.TOKEN_TYPE, "output");

  private final SdkMeterProvider provider;
  private final PullMetricReader pull = new PullMetricReader();
  private final LongHistogram tokenUsage;
  private final DoubleHistogram duration;
  private final DoubleHistogram timeToFirstToken;
  // see attributeSets
  private final Map<AttributeKey, AttributeSets> attributeCache = new HashMap<>();

  /**
   * @param otlp the OTLP metric exporter, or null for none
   * @param providerStates circuit state per provider (0 closed, 1 half open, 2 open), read at each collection
   * @param dropped the records the queue refused so far
   */
  GenAiMetrics(Resource resource, MetricExporter otlp, Duration interval,
      Supplier<Map<String, Integer>> providerStates, LongSupplier dropped) {
    SdkMeterProviderBuilder builder = SdkMeterProvider.builder().setResource(resource).registerMetricReader(pull);
    if (otlp != null) {
      builder.registerMetricReader(PeriodicMetricReader.builder(otlp).setInterval(interval).build());
    }
    provider = builder.build();
    Meter meter = provider.meterBuilder("io.oxllm.telemetry").build();
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
        .buildWithCallback(m -> providerStates.get()
            .forEach((name, state) -> m.record(state, Attributes.of(SemConv.PROVIDER, name))));
    meter.counterBuilder(SemConv.TELEMETRY_DROPPED).setUnit("{record}")
        .setDescription("Request records dropped because the telemetry queue was full.")
        .buildWithCallback(m -> m.record(dropped.getAsLong()));
  }

  /** Records one request's duration, time to first token and token counts. */
  void record(RequestRecord r) {
    AttributeSets a = attributeSets(r);
    duration.record(Math.max(0, r.endEpochNanos() - r.startEpochNanos()) / 1e9, a.duration());
    if (r.ttftNanos() >= 0) {
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
    String model = r.provider() == null ? null : r.requestedModel();
    AttributeKey key = new AttributeKey(r.operation(), r.provider(), model, r.errorType());
    AttributeSets sets = attributeCache.get(key);
    if (sets == null) {
      if (attributeCache.size() >= 1024) {
        attributeCache.clear();
      }
      AttributesBuilder b = Attributes.builder().put(SemConv.OPERATION, r.operation());
      if (r.provider() != null) {
        b.put(SemConv.PROVIDER, r.provider());
        if (model != null) {
          b.put(SemConv.REQUEST_MODEL, model);
        }
      }
      Attributes base = b.build();
      Attributes duration = r.errorType() == null ? base : base.toBuilder().put(SemConv.ERROR_TYPE, r.errorType()).build();
      sets = new AttributeSets(base, duration, base.toBuilder().putAll(INPUT).build(),
          base.toBuilder().putAll(OUTPUT).build());
      attributeCache.put(key, sets);
    }
    return sets;
  }

  /** What the pull reader sees now (cumulative since start). */
  Collection<MetricData> collect() {
    return pull.collect();
  }

  /**
   * Final OTLP export and shutdown of both readers; blocks the caller up to the exporter's timeout
   * (the worker calls it on a thread of its own).
   */
  CompletableResultCode shutdown() {
    return provider.shutdown();
  }
}
