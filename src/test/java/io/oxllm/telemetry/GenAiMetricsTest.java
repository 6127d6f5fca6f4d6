package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.resources.Resource;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the GenAI metrics record of a request, read back from their reader. */
class GenAiMetricsTest {
  private static long count(GenAiMetrics metrics, String name) {
    long n = 0;
    for (MetricData m : metrics.collect()) {
      if (m.getName().equals(name)) {
        n += m.getHistogramData().getPoints().stream().mapToLong(p -> p.getCount()).sum();
      }
    }
    return n;
  }

  @Test
  void timeToFirstTokenIsOnlyForStreamsThatSucceeded() {
    // the GenAI conventions: "time to generate first token for successful responses"; a stream the
    // upstream cut, or whose client left, was counted too (a telemetry audit). Its log line and span keep it.
    GenAiMetrics metrics = new GenAiMetrics(Resource.empty(), null, Map::of, () -> 0, Set::of);
    long now = Telemetry.epochNanos();
    metrics.record(TelemetryFixtures.failover("ok", now));
    metrics.record(TelemetryFixtures.cutStream("cut", now));
    assertEquals(1, count(metrics, SemConv.TIME_TO_FIRST_TOKEN));
    assertEquals(2, count(metrics, SemConv.OPERATION_DURATION), "both still have their duration");
  }
}
