package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.resources.Resource;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * gen_ai.request.model is bounded: a client can name any model through provider/model, and every
 * distinct label would be kept as series in /metrics and in every export for good.
 */
class GenAiMetricsLabelsTest {
  private static Set<String> durationLabels(GenAiMetrics metrics) {
    Set<String> labels = new HashSet<>();
    for (MetricData m : metrics.collect()) {
      if (m.getName().equals(SemConv.OPERATION_DURATION)) {
        m.getHistogramData().getPoints().forEach(p -> labels.add(p.getAttributes().get(SemConv.REQUEST_MODEL)));
      }
    }
    return labels;
  }

  @Test
  void modelLabelsAreBoundedInNumberAndLength() {
    GenAiMetrics metrics = new GenAiMetrics(Resource.empty(), null, Map::of, () -> 0, Set::of);
    RequestRecord base = TelemetryFixtures.ok("r", Telemetry.epochNanos());
    for (int i = 0; i < GenAiMetrics.MAX_MODEL_LABELS + 50; i++) {
      metrics.record(TelemetryFixtures.withModel(base, "A/model-" + i));
    }
    metrics.record(TelemetryFixtures.withModel(base, "A/" + "y".repeat(10_000)));
    metrics.record(TelemetryFixtures.withModel(base, "A/model-0")); // a known one stays itself

    Set<String> labels = durationLabels(metrics);
    assertEquals(GenAiMetrics.MAX_MODEL_LABELS + 1, labels.size(), () -> labels.size() + " labels");
    assertTrue(labels.contains(GenAiMetrics.OTHER_MODEL), labels::toString);
    assertTrue(labels.contains("A/model-0"));
    assertTrue(labels.stream().allMatch(l -> l.length() <= GenAiMetrics.MAX_MODEL_LENGTH), "no label is long");
  }

  @Test
  void aModelTheConfigServesKeepsItsLabelWhateverClientsNamedBefore() {
    // the cap is first come, first served: 256 made-up provider/model names had put the
    // operator's own models under _OTHER until a restart (a telemetry audit)
    Set<String> configured = new HashSet<>(Set.of("basic"));
    GenAiMetrics metrics = new GenAiMetrics(Resource.empty(), null, Map::of, () -> 0, () -> Set.copyOf(configured));
    RequestRecord base = TelemetryFixtures.ok("r", Telemetry.epochNanos());
    for (int i = 0; i < GenAiMetrics.MAX_MODEL_LABELS + 10; i++) {
      metrics.record(TelemetryFixtures.withModel(base, "A/junk-" + i));
    }
    metrics.record(TelemetryFixtures.withModel(base, "basic"));
    configured.add("added-by-a-reload");
    metrics.record(TelemetryFixtures.withModel(base, "added-by-a-reload"));
    metrics.record(TelemetryFixtures.withModel(base, "A/one-more"));
    Set<String> labels = durationLabels(metrics);
    assertTrue(labels.containsAll(Set.of("basic", "added-by-a-reload", GenAiMetrics.OTHER_MODEL)), labels::toString);
    assertFalse(labels.contains("A/one-more"), "the others are still capped");
  }
}
