package io.oxllm.telemetry;

import static io.oxllm.testing.ChainToml.chain;
import static io.oxllm.testing.ChainToml.provider;
import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.trace.v1.Span;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.LiveGateway;
import io.oxllm.testing.OtlpReceiver;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload's {@code [telemetry]} table through a real gateway started from a file: the endpoint
 * and the request log follow it without a restart, what the worker held before still goes where
 * it was headed, and what cannot change without a restart is reported as such.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TelemetryReloadTest {
  private static final Duration SOON = Duration.ofSeconds(10);
  private static final long NO_SCAN = 600_000; // explicit reloads only

  @TempDir
  Path dir;
  private TestUpstream upstream;
  private LiveGateway gw;

  @AfterEach
  void stop() {
    if (gw != null) {
      await(gw.gateway().close(), Duration.ofSeconds(10));
    }
  }

  private String config(String telemetry) {
    return LiveGateway.server(NO_SCAN, "") + "[telemetry]\nmetrics_interval_secs = 1\n" + telemetry
        + provider("A", upstream, "") + chain("v", "A");
  }

  private static String exportTo(OtlpReceiver collector, Path log) {
    return "otlp_endpoint = \"" + collector.endpoint() + "\"\nrequest_log = \"" + log.toString().replace("\\", "\\\\")
        + "\"\n";
  }

  private JsonObject reload(String toml) {
    gw.write(toml);
    Response r = gw.post("/reload");
    assertEquals(200, r.status(), r.bodyAsString());
    return r.json().getJsonObject("reload");
  }

  private String chat() {
    Response r = gw.chat("v");
    assertEquals(200, r.status(), r.bodyAsString());
    return r.header("x-request-id");
  }

  private static boolean hasRequestSpan(OtlpReceiver collector, String requestId) {
    return collector.spans().stream().anyMatch(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER
        && requestId.equals(OtlpReceiver.attributes(s.getAttributesList()).get("oxllm.request_id")));
  }

  private static List<String> lines(Path log) {
    try {
      return Files.exists(log) ? Files.readAllLines(log) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean logged(Path log, String requestId) {
    return lines(log).stream().anyMatch(l -> requestId.equals(new JsonObject(l).getString("request_id")));
  }

  @Test
  void theEndpointAndTheRequestLogFollowAReloadAndWhatWasHeldStillGoesWhereItWasHeaded(Vertx vertx) {
    upstream = await(TestUpstream.start(vertx));
    OtlpReceiver first = await(OtlpReceiver.start(vertx));
    OtlpReceiver second = await(OtlpReceiver.start(vertx));
    Path firstLog = dir.resolve("first.jsonl");
    Path secondLog = dir.resolve("second.jsonl");
    gw = LiveGateway.fromFile(vertx, dir.resolve("oxllm.toml"), config(""));
    String before = chat(); // telemetry exports nothing yet

    JsonObject on = reload(config(exportTo(first, firstLog)));
    assertTrue(on.getBoolean("ok") && on.getBoolean("changed"), on::encode);
    assertTrue(on.getJsonArray("restart_required").isEmpty(), on::encode);
    String r1 = chat();
    until(SOON, () -> logged(firstLog, r1), ok -> ok, "the new request log has the request after the reload");
    // r1's spans wait for their export to fill (up to a second): move on before they are sent
    assertTrue(reload(config(exportTo(second, secondLog))).getJsonArray("restart_required").isEmpty());
    String r2 = chat();

    until(SOON, () -> hasRequestSpan(first, r1), ok -> ok, "the first collector gets what was held for it");
    until(SOON, () -> hasRequestSpan(second, r2), ok -> ok, "the second collector gets the request after the reload");
    until(SOON, () -> logged(secondLog, r2), ok -> ok, "the second log has the request after the reload");
    assertTrue(!hasRequestSpan(second, r1) && !hasRequestSpan(first, r2), "each request went to one collector");
    assertTrue(!hasRequestSpan(first, before) && !hasRequestSpan(second, before), "nothing was exported before");
    assertEquals(List.of(r1), lines(firstLog).stream().map(l -> new JsonObject(l).getString("request_id")).toList());
    until(SOON, () -> second.metrics().isEmpty(), none -> !none, "metrics go to the new endpoint too");
    JsonObject telemetry = gw.status().getJsonObject("telemetry");
    assertEquals(0L, telemetry.getLong("export_failures"), telemetry::encode);
    assertEquals(0L, telemetry.getLong("spans_dropped"), telemetry::encode);
  }

  @Test
  void whatTheQueueAndTheMetricsWereMadeWithNeedsARestart(Vertx vertx) {
    upstream = await(TestUpstream.start(vertx));
    gw = LiveGateway.fromFile(vertx, dir.resolve("oxllm.toml"), config(""));
    String next = config("queue_capacity = 64\nservice_name = \"other\"\n").replace("metrics_interval_secs = 1",
        "metrics_interval_secs = 2");
    JsonObject reload = reload(next);
    assertTrue(reload.getBoolean("ok"), reload::encode);
    assertEquals(List.of("telemetry.queue_capacity", "telemetry.service_name", "telemetry.metrics_interval_secs"),
        reload.getJsonArray("restart_required").getList(), reload::encode);
  }
}
