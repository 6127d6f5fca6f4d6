package io.oxllm.telemetry;

import static io.oxllm.telemetry.E2eGateway.SOLO;
import static io.oxllm.telemetry.E2eGateway.SOON;
import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.oxllm.Gateway;
import io.oxllm.testing.Behaviour;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.OtlpReceiver;
import io.oxllm.testing.StreamRecorder;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metrics of a real gateway (SPEC section 7): the GenAI instruments arrive at the OTLP receiver,
 * {@code GET /metrics} shows the same families and numbers in Prometheus text, {@code /status}
 * has the token totals; and a dead collector costs the request path nothing.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatewayMetricsTest {
  @TempDir
  Path dir;
  private E2eGateway e;

  @AfterEach
  void stop() {
    if (e != null) {
      e.close();
    }
  }

  /** The newest export of metric {@code name}. */
  private static Optional<Metric> latest(OtlpReceiver r, String name) {
    List<Metric> all = r.metrics().stream().filter(m -> m.getName().equals(name)).toList();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** The summed count and sum of a histogram's points whose attributes include {@code attributes}. */
  private static double[] countAndSum(Metric m, Map<String, String> attributes) {
    double count = 0;
    double sum = 0;
    for (HistogramDataPoint p : m.getHistogram().getDataPointsList()) {
      if (OtlpReceiver.attributes(p.getAttributesList()).entrySet().containsAll(attributes.entrySet())) {
        count += p.getCount();
        sum += p.getSum();
      }
    }
    return new double[] {count, sum};
  }

  private static double[] latestCountAndSum(OtlpReceiver r, String name, Map<String, String> attributes) {
    return latest(r, name).map(m -> countAndSum(m, attributes)).orElse(new double[] {0, 0});
  }

  @Test
  void otlpPrometheusAndStatusShowTheSameNumbers(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    e.a.respond(Behaviour.chat("x y z")); // 3 input, 3 output tokens
    for (int i = 0; i < 2; i++) {
      Response r = e.chat(SOLO, Map.of());
      assertEquals(200, r.status(), r::bodyAsString);
    }
    e.a.respond(Behaviour.sseChatWithUsage(2, 5)); // 3 input, 2 output tokens
    StreamRecorder rec = e.stream(E2eGateway.chatBody(SOLO, "hi", true, null), null);
    assertEquals(200, rec.status());
    Map<String, String> input = Map.of("gen_ai.token.type", "input", "gen_ai.provider.name", "a");
    Map<String, String> output = Map.of("gen_ai.token.type", "output", "gen_ai.provider.name", "a");
    Map<String, String> providerA = Map.of("gen_ai.provider.name", "a", "gen_ai.operation.name", "chat");

    until(SOON, () -> latestCountAndSum(e.receiver, "gen_ai.client.token.usage", input),
        cs -> cs[0] == 3 && cs[1] == 9, "OTLP input token usage of 3 requests, 9 tokens");
    assertEquals(8.0, latestCountAndSum(e.receiver, "gen_ai.client.token.usage", output)[1], "output tokens 3 + 3 + 2");
    assertEquals("{token}", latest(e.receiver, "gen_ai.client.token.usage").orElseThrow().getUnit());
    until(SOON, () -> latestCountAndSum(e.receiver, "gen_ai.client.operation.duration", providerA),
        cs -> cs[0] == 3, "OTLP operation duration of 3 requests");
    double[] ttft = until(SOON, () -> latestCountAndSum(e.receiver, "gen_ai.server.time_to_first_token", providerA),
        cs -> cs[0] == 1, "OTLP time to first token of the one stream");
    assertTrue(ttft[1] >= 0 && ttft[1] < 5, "ttft " + ttft[1] + " s");
    until(SOON, () -> latest(e.receiver, "oxllm.provider.state"), Optional::isPresent, "the provider state gauge");
    until(SOON, () -> latest(e.receiver, "oxllm.telemetry.dropped"), Optional::isPresent, "the drop counter");

    Response metrics = e.get("/metrics");
    assertEquals(200, metrics.status(), metrics::bodyAsString);
    assertTrue(metrics.header("content-type").startsWith("text/plain"), metrics.header("content-type"));
    String text = metrics.bodyAsString();
    String aInput = "gen_ai_operation_name=\"chat\",gen_ai_provider_name=\"a\",gen_ai_request_model=\"" + SOLO
        + "\",gen_ai_token_type=\"input\"";
    for (String want : List.of(
        "# TYPE gen_ai_client_token_usage histogram",
        "gen_ai_client_token_usage_count{" + aInput + "} 3",
        "gen_ai_client_token_usage_sum{" + aInput + "} 9",
        "# TYPE gen_ai_client_operation_duration_seconds histogram",
        "# TYPE gen_ai_server_time_to_first_token_seconds histogram",
        "gen_ai_server_time_to_first_token_seconds_count{gen_ai_operation_name=\"chat\",gen_ai_provider_name=\"a\","
            + "gen_ai_request_model=\"" + SOLO + "\"} 1",
        "# TYPE oxllm_provider_state gauge",
        "oxllm_provider_state{provider=\"a\"} 0",
        "# TYPE oxllm_telemetry_dropped_total counter",
        "oxllm_telemetry_dropped_total 0",
        "oxllm_provider_input_tokens_total{provider=\"a\"} 9",
        "oxllm_provider_output_tokens_total{provider=\"a\"} 8")) {
      assertTrue(text.contains(want), () -> "missing '" + want + "' in /metrics:\n" + text);
    }
    assertTrue(text.matches("(?s).*gen_ai_client_operation_duration_seconds_count\\{[^}]*gen_ai_provider_name=\"a\"[^}]*} 3\n.*"),
        () -> "3 operation durations in /metrics:\n" + text);
    Response fromPage = await(GatewayHarness.send(e.client, e.port(), HttpMethod.GET, "/metrics",
        MultiMap.caseInsensitiveMultiMap().add("origin", "http://evil.example"), null));
    assertEquals(403, fromPage.status(), "/metrics is an admin route: a browser page may not read it");

    JsonObject status = e.status();
    JsonObject a = e.providerStatus("a");
    assertEquals(9L, a.getLong("input_tokens"), a::encode);
    assertEquals(8L, a.getLong("output_tokens"), a::encode);
    assertEquals(0L, e.providerStatus("b").getLong("input_tokens"));
    assertTrue(status.getJsonObject("telemetry").getLong("exported") >= 3, status::encode);
    assertEquals(0L, status.getJsonObject("telemetry").getLong("dropped"), status::encode);
  }

  /** The newest export's value of gauge {@code name} for each provider. */
  private static Map<String, Long> gauge(OtlpReceiver r, String name) {
    return latest(r, name).map(m -> m.getGauge().getDataPointsList().stream().collect(Collectors.toMap(
        p -> OtlpReceiver.attributes(p.getAttributesList()).get("gen_ai.provider.name"), NumberDataPoint::getAsInt)))
        .orElse(Map.of());
  }

  @Test
  void aProviderOfflineOrCoolingDownShowsAsSuchInBothExporters(Vertx vertx) {
    e = E2eGateway.start(vertx, dir, "");
    Map<String, Long> healthy = Map.of("a", 0L, "b", 0L);
    until(SOON, () -> gauge(e.receiver, "oxllm.provider.rate_limited"), healthy::equals, "no cooldown yet");
    assertEquals(healthy, gauge(e.receiver, "oxllm.provider.offline"));
    e.a.respond(Behaviour.error(429, "rate_limit_error", "slow down", Map.of("retry-after", "600")));
    e.b.respond(Behaviour.chat("from b"));
    Response r = e.chat(E2eGateway.SMART, Map.of());
    assertEquals(200, r.status(), r::bodyAsString); // a's 429 failed over to b
    assertEquals(200, e.post("/admin/providers/b/offline", "", Map.of()).status());

    Map<String, Long> aOnly = Map.of("a", 1L, "b", 0L);
    Map<String, Long> bOnly = Map.of("a", 0L, "b", 1L);
    until(SOON, () -> gauge(e.receiver, "oxllm.provider.rate_limited"), aOnly::equals, "a cooling down over OTLP");
    until(SOON, () -> gauge(e.receiver, "oxllm.provider.offline"), bOnly::equals, "b offline over OTLP");
    assertEquals(healthy, gauge(e.receiver, "oxllm.provider.state"), "neither circuit opened");
    String text = e.get("/metrics").bodyAsString();
    for (String want : List.of("oxllm_provider_rate_limited{provider=\"a\"} 1", "oxllm_provider_rate_limited{provider=\"b\"} 0",
        "oxllm_provider_offline{provider=\"a\"} 0", "oxllm_provider_offline{provider=\"b\"} 1")) {
      assertTrue(text.contains(want), () -> "missing '" + want + "' in /metrics:\n" + text);
    }
    for (String family : List.of("oxllm_provider_state", "oxllm_provider_offline", "oxllm_provider_rate_limited")) {
      assertEquals(1, text.split("# TYPE " + family + " ", -1).length - 1, () -> "one " + family + " family:\n" + text);
    }
  }

  private static final int RUNS = 200;
  private static final int WARMUP = 100;

  /** One chat through {@code port}: its latency in ns, or fails with the status. Runs on the client's context. */
  private Future<Long> timedChat(int port) {
    long t0 = System.nanoTime();
    return GatewayHarness.post(e.client, port, E2eGateway.CHAT, E2eGateway.chatBody(SOLO, "hello", false, null))
        .compose(r -> r.status() == 200 ? Future.succeededFuture(System.nanoTime() - t0)
            : Future.failedFuture(new AssertionError("request failed: " + r.status() + " " + r.bodyAsString())));
  }

  /** {@code n} rounds of one request to each gateway in turn; the latencies per gateway. */
  private List<List<Long>> interleaved(int n, int offPort, int deadPort) {
    List<Long> off = Collections.synchronizedList(new ArrayList<>());
    List<Long> dead = Collections.synchronizedList(new ArrayList<>());
    await(e.onContext(() -> {
      Future<Void> f = Future.succeededFuture();
      for (int i = 0; i < n; i++) {
        f = f.compose(v -> timedChat(offPort)).map(off::add)
            .compose(v -> timedChat(deadPort)).map(dead::add).mapEmpty();
      }
      return f;
    }), Duration.ofSeconds(60));
    return List.of(off, dead);
  }

  private static double p50Ms(List<Long> nanos) {
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2) / 1e6;
  }

  @Test
  void aDeadCollectorCostsTheRequestPathNothing(Vertx vertx) {
    e = E2eGateway.prepare(vertx, dir);
    int deadPort = OtlpReceiver.deadPort();
    Gateway off = await(e.deploy(e.telemetryTable("", null)));
    e.startGateway(e.telemetryTable("http://127.0.0.1:" + deadPort, null));
    try {
      interleaved(WARMUP, off.port(), e.port());
      List<List<Long>> runs = interleaved(RUNS, off.port(), e.port());
      assertEquals(RUNS, runs.get(1).size(), "every request through the gateway with a dead collector succeeded");
      double offP50 = p50Ms(runs.get(0));
      double deadP50 = p50Ms(runs.get(1));
      System.out.printf("dead collector: p50 %.2f ms vs telemetry off %.2f ms (%d requests each)%n",
          deadP50, offP50, RUNS);
      assertTrue(deadP50 <= 2 * offP50 + 2,
          String.format("p50 with a dead collector %.2f ms vs telemetry off %.2f ms", deadP50, offP50));
      // the exporter really was failing all along, and the records were still consumed
      JsonObject telemetry = until(SOON, () -> e.status().getJsonObject("telemetry"),
          t -> t.getLong("export_failures") > 0 && t.getLong("exported") >= WARMUP + RUNS,
          "failed exports counted, records consumed");
      assertEquals(0L, telemetry.getLong("dropped"), telemetry::encode);
    } finally {
      await(off.close(), Duration.ofSeconds(30));
    }
    long stopMs = e.stopGateway();
    assertTrue(stopMs < 5_000, "undeploying with a dead collector took " + stopMs + " ms");
  }
}
