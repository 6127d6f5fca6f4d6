package io.oxllm.telemetry;

import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.oxllm.config.TelemetryConfig;
import io.oxllm.routing.RoutingVerticle;
import io.oxllm.testing.OtlpReceiver;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One metrics model, two exporters: the same instruments arrive over OTLP/HTTP and render as
 * Prometheus text; the provider-state gauge reads the routing verticle's states; token totals
 * per provider feed {@code /status}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TelemetryMetricsTest {
  private static final Duration SOON = Duration.ofSeconds(10);
  private static final Set<String> NAMES = Set.of("gen_ai.client.token.usage", "gen_ai.client.operation.duration",
      "gen_ai.server.time_to_first_token", "oxllm.provider.state", "oxllm.provider.offline",
      "oxllm.provider.rate_limited", "oxllm.telemetry.dropped");
  // a sample line: name, optional {labels}, one value (Prometheus text format 0.0.4)
  private static final Pattern SAMPLE = Pattern.compile(
      "[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\.|[^\"\\\\])*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\.|[^\"\\\\])*\")*\\})? "
          + "(-?[0-9.]+(E-?[0-9]+)?|NaN|[+-]Inf)");

  /** Plays the routing verticle's status answer: A's circuit open, B closed. */
  private static void fakeRouting(Vertx vertx) {
    await(vertx.eventBus().<JsonObject>localConsumer(RoutingVerticle.ADMIN, msg -> msg.reply(new JsonObject()
        .put("ok", true).put("providers", new JsonArray()
            .add(new JsonObject().put("name", "A").put("state", "open"))
            .add(new JsonObject().put("name", "B").put("state", "closed"))))).completion());
  }

  /** The newest export's data for a metric name. */
  private static Optional<Metric> latest(OtlpReceiver collector, String name) {
    List<Metric> all = collector.metrics().stream().filter(m -> m.getName().equals(name)).toList();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  @Test
  void histogramsGaugeAndDropCounterArriveOverOtlp(Vertx vertx) {
    fakeRouting(vertx);
    OtlpReceiver collector = await(OtlpReceiver.start(vertx));
    TelemetryConfig c = TelemetryFixtures.config(collector.endpoint(), 1024, "");
    TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c, TelemetryFixtures.fast(c));
    long now = Telemetry.epochNanos();
    assertTrue(running.telemetry().offer(TelemetryFixtures.ok("m-1", now)));
    assertTrue(running.telemetry().offer(TelemetryFixtures.ok("m-2", now)));
    assertTrue(running.telemetry().offer(TelemetryFixtures.failover("m-3", now)));

    until(SOON, () -> latest(collector, "gen_ai.client.token.usage"), m -> m.isPresent()
        && m.get().getHistogram().getDataPointsList().stream().mapToLong(HistogramDataPoint::getCount).sum() == 6,
        "token usage for 3 requests (input and output each)");
    until(SOON, () -> latest(collector, "oxllm.provider.state"), m -> m.isPresent()
        && m.get().getGauge().getDataPointsCount() == 2, "provider states polled from the routing verticle");
    Set<String> names = collector.metrics().stream().map(Metric::getName).collect(Collectors.toSet());
    assertTrue(names.containsAll(NAMES), () -> "missing: " + NAMES.stream().filter(n -> !names.contains(n)).toList());

    Metric tokens = latest(collector, "gen_ai.client.token.usage").orElseThrow();
    assertEquals("{token}", tokens.getUnit());
    HistogramDataPoint aInput = point(tokens, Map.of("gen_ai.token.type", "input", "gen_ai.provider.name", "A",
        "gen_ai.request.model", "v", "gen_ai.operation.name", "chat"));
    assertEquals(2, aInput.getCount());
    assertEquals(22.0, aInput.getSum(), 1e-9);
    assertEquals(30.0, point(tokens, Map.of("gen_ai.token.type", "output", "gen_ai.provider.name", "B")).getSum(), 1e-9);

    Metric duration = latest(collector, "gen_ai.client.operation.duration").orElseThrow();
    assertEquals("s", duration.getUnit());
    assertEquals(0.010, point(duration, Map.of("gen_ai.provider.name", "A")).getSum() / 2, 1e-9, "10 ms each");
    Metric ttft = latest(collector, "gen_ai.server.time_to_first_token").orElseThrow();
    HistogramDataPoint ttftB = point(ttft, Map.of("gen_ai.provider.name", "B"));
    assertEquals(1, ttftB.getCount(), "only the stream has a time to first token");
    assertEquals(0.012, ttftB.getSum(), 1e-9);

    Map<String, Long> states = latest(collector, "oxllm.provider.state").orElseThrow().getGauge().getDataPointsList()
        .stream().collect(Collectors.toMap(p -> OtlpReceiver.attributes(p.getAttributesList()).get("gen_ai.provider.name"),
            NumberDataPoint::getAsInt));
    assertEquals(Map.of("A", 2L, "B", 0L), states);
    Metric dropped = latest(collector, "oxllm.telemetry.dropped").orElseThrow();
    assertTrue(dropped.getSum().getIsMonotonic());
    assertEquals(0, dropped.getSum().getDataPoints(0).getAsInt());
    running.stop();
  }

  private static HistogramDataPoint point(Metric m, Map<String, String> attributes) {
    List<HistogramDataPoint> matching = m.getHistogram().getDataPointsList().stream()
        .filter(p -> OtlpReceiver.attributes(p.getAttributesList()).entrySet().containsAll(attributes.entrySet()))
        .toList();
    assertEquals(1, matching.size(), () -> "points of " + m.getName() + " with " + attributes + ": " + matching);
    return matching.get(0);
  }

  @Test
  void prometheusTextHasTheSameInstrumentsInValidFormat(Vertx vertx) {
    TelemetryConfig c = TelemetryFixtures.config("", 1024, "");
    TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c, TelemetryFixtures.fast(c));
    Telemetry t = running.telemetry();
    long now = Telemetry.epochNanos();
    t.offer(TelemetryFixtures.ok("p-1", now));
    t.offer(TelemetryFixtures.failover("p-2", now));
    t.offer(TelemetryFixtures.failed("p-3", now));
    until(SOON, t::exported, n -> n == 3, "records processed");

    String text = t.prometheusText(Set.of());
    for (String want : List.of(
        "# TYPE gen_ai_client_token_usage histogram",
        "gen_ai_client_token_usage_bucket{gen_ai_operation_name=\"chat\",gen_ai_provider_name=\"A\","
            + "gen_ai_request_model=\"v\",gen_ai_token_type=\"input\",le=\"16\"} 1",
        "gen_ai_client_token_usage_bucket{gen_ai_operation_name=\"chat\",gen_ai_provider_name=\"A\","
            + "gen_ai_request_model=\"v\",gen_ai_token_type=\"input\",le=\"+Inf\"} 1",
        "gen_ai_client_token_usage_sum{gen_ai_operation_name=\"chat\",gen_ai_provider_name=\"A\","
            + "gen_ai_request_model=\"v\",gen_ai_token_type=\"output\"} 22",
        "# TYPE gen_ai_client_operation_duration_seconds histogram",
        "gen_ai_client_operation_duration_seconds_count{error_type=\"upstream_timeout\",gen_ai_operation_name=\"chat\","
            + "gen_ai_provider_name=\"A\",gen_ai_request_model=\"v\"} 1",
        "# TYPE gen_ai_server_time_to_first_token_seconds histogram",
        "# TYPE oxllm_telemetry_dropped_total counter",
        "oxllm_telemetry_dropped_total 0")) {
      assertTrue(text.contains(want), () -> "missing '" + want + "' in:\n" + text);
    }
    for (String line : text.split("\n")) {
      assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE ") || SAMPLE.matcher(line).matches(),
          () -> "not a valid exposition line: " + line);
    }
    assertFalse(t.prometheusText(Set.of("gen_ai.client.token.usage")).contains("gen_ai_client_token_usage"),
        "a skipped family is left out");

    assertEquals(11, t.inputTokens("A"), "token totals per provider for /status");
    assertEquals(22, t.outputTokens("A"));
    assertEquals(7, t.inputTokens("B"));
    assertEquals(0, t.inputTokens("nobody"));
    JsonObject status = t.statusJson();
    assertEquals(Set.of("queue_depth", "exported", "dropped", "export_failures", "spans_dropped",
        "log_lines_lost"), status.fieldNames());
    assertEquals(3L, status.getLong("exported"));
    running.stop();
  }

  @Test
  void failedRequestsKeepTheirModelAndRefusalsAndOtherPathsStayOut(Vertx vertx) {
    TelemetryConfig c = TelemetryFixtures.config("", 1024, "");
    TelemetryFixtures.Running running = TelemetryFixtures.start(vertx, c, TelemetryFixtures.fast(c));
    Telemetry t = running.telemetry();
    long now = Telemetry.epochNanos();
    t.offer(TelemetryFixtures.allFailed("f-1", now));
    t.offer(TelemetryFixtures.refused("f-2", now, "/v1/chat/completions", "chat", "no-such-model", "model_not_found"));
    t.offer(TelemetryFixtures.refused("f-3", now, "/v1/foo", SharedStrings.OTHER_OPERATION, null, "not_found"));
    t.offer(TelemetryFixtures.refused("f-4", now, "/v1/chat/completions", SharedStrings.OTHER_OPERATION, null,
        "method_not_allowed", 405));
    until(SOON, t::exported, n -> n == 4, "records processed");
    String text = t.prometheusText(Set.of());
    // an error rate per model needs the model on failures too (it was left out without a provider)
    String failed = "gen_ai_client_operation_duration_seconds_count{error_type=\"all_providers_failed\","
        + "gen_ai_operation_name=\"chat\",gen_ai_request_model=\"v\"} 1";
    assertTrue(text.contains(failed), () -> "missing '" + failed + "' in:\n" + text);
    assertFalse(text.contains("no-such-model"), "a refused name makes no series: " + text);
    assertTrue(text.contains("error_type=\"model_not_found\",gen_ai_operation_name=\"chat\"} 1"), text);
    assertFalse(text.contains("gen_ai_operation_name=\"other\""), "POST /v1/foo is no GenAI operation: " + text);
    assertFalse(text.contains("method_not_allowed"), "nor is DELETE /v1/chat/completions: " + text);
    running.stop();
  }
}
