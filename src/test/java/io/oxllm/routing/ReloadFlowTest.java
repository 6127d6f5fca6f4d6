package io.oxllm.routing;

import static io.oxllm.testing.ChainToml.chain;
import static io.oxllm.testing.ChainToml.provider;
import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.ApiChecks;
import io.oxllm.testing.Behaviour;
import io.oxllm.testing.ChildGateway;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.LiveGateway;
import io.oxllm.testing.LogCapture;
import io.oxllm.testing.StreamRecorder;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hot reload (SPEC section 8) end to end: a gateway started from a real TOML file, re-reading it
 * on a file change (vertx-config scan), on {@code POST /reload}; invalid files rejected whole while
 * the running config keeps serving; restart-only changes reported; breaker state kept by name; a
 * stream in flight finishing on the config it started with. SIGHUP is in ProcessLifecycleTest.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReloadFlowTest {
  private static final long FAST_SCAN = 200;
  private static final long NO_SCAN = 600_000; // explicit reloads only: the watcher cannot race them
  private static final Duration FEW_SCANS = Duration.ofSeconds(10); // an upper bound: a loaded CI box is slow

  @TempDir
  Path dir;
  private Vertx vertx;
  private TestUpstream a;
  private TestUpstream b;
  private TestUpstream c;
  private LiveGateway running;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    a = await(TestUpstream.start(vertx));
    b = await(TestUpstream.start(vertx));
    c = await(TestUpstream.start(vertx));
  }

  /** Server table, optional tables (before the providers), providers A and B, then the given chains. */
  private String config(long scanMs, String tables, String chains) {
    return LiveGateway.server(scanMs, "") + tables + provider("A", a, "") + provider("B", b, "") + chains;
  }

  private LiveGateway start(String toml) {
    running = LiveGateway.fromFile(vertx, dir.resolve("oxllm.toml"), toml);
    return running;
  }

  /** Stops the watcher before the temp dir goes, so no scan reads a deleted file. */
  @AfterEach
  void stopGateway() {
    if (running != null) {
      await(running.gateway().close(), Duration.ofSeconds(10));
    }
  }

  private static JsonObject reloadOf(Response r) {
    JsonObject reload = r.json() == null ? null : r.json().getJsonObject("reload");
    assertNotNull(reload, () -> "reload answer: " + r.bodyAsString());
    return reload;
  }

  private static boolean anyContains(JsonArray errors, String text) {
    return errors.stream().anyMatch(e -> String.valueOf(e).contains(text));
  }

  @Test
  void aFileEditMovesTrafficWithinAFewScans() {
    LiveGateway gw = start(config(FAST_SCAN, "", chain("v", "A")));
    assertEquals("A", gw.answeredBy("v"));
    gw.write(config(FAST_SCAN, "", chain("v", "B")));
    until(FEW_SCANS, () -> gw.answeredBy("v"), "B"::equals, "v answered by B after the file edit");
    JsonObject reload = gw.status().getJsonObject("reload");
    assertEquals("file change", reload.getString("trigger"), reload::encode);
    assertTrue(reload.getBoolean("ok"), reload::encode);
    assertTrue(reload.getBoolean("changed"), reload::encode);
    assertTrue(reload.getJsonArray("errors").isEmpty(), reload::encode);
    assertEquals("B", gw.status().getJsonObject("virtual_models").getJsonArray("v").getJsonObject(0).getString("provider"));
  }

  @Test
  void aFileWrittenInTwoStepsIsAppliedWholeNotHalfWay() throws InterruptedException {
    // the first step is a valid file on its own, without w; the second follows it 200 ms later
    long scan = 400;
    String w = "w = [{ provider = \"A\", model = \"" + io.oxllm.testing.ChainToml.MODEL + "\" }]\n";
    LiveGateway gw = start(config(scan, "", chain("v", "A") + w));
    int missing = 0;
    for (int round = 0; round < 6; round++) {
      String to = round % 2 == 0 ? "B" : "A";
      // a round starts just after the scan that applied the last: start each a little later, or
      // every first step would be written and followed just after a scan, never across one
      Thread.sleep((round * 2 + 1) * scan / 12);
      gw.write(config(scan, "", chain("v", to)));
      long secondStep = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(scan / 2);
      while (System.nanoTime() < secondStep) {
        missing += gw.chat("w").status() == 404 ? 1 : 0;
      }
      gw.write(config(scan, "", chain("v", to) + w));
      long deadline = System.nanoTime() + FEW_SCANS.toNanos();
      while (!to.equals(gw.answeredBy("v")) && System.nanoTime() < deadline) {
        missing += gw.chat("w").status() == 404 ? 1 : 0;
      }
      assertEquals(to, gw.answeredBy("v"), "round " + round + ": the whole file applied");
    }
    // without the wait, a scan between the two steps applied the first: rounds 3 to 5 start late enough for one
    assertEquals(0, missing, "requests for w answered 404 while half a file was in force");
  }

  @Test
  void postReloadAppliesAChangeAtOnceAndReportsAnUnchangedFile() {
    LiveGateway gw = start(config(NO_SCAN, "", chain("v", "A")));
    Response same = gw.post("/reload");
    assertEquals(200, same.status(), same.bodyAsString());
    assertTrue(reloadOf(same).getBoolean("ok"));
    assertFalse(reloadOf(same).getBoolean("changed"), same.bodyAsString());

    gw.write(config(NO_SCAN, "", chain("v", "B")));
    Response r = gw.post("/reload");
    assertEquals(200, r.status(), r.bodyAsString());
    assertTrue(r.header("content-type").startsWith("application/json"), r.header("content-type"));
    JsonObject reload = reloadOf(r);
    assertTrue(reload.getBoolean("ok"), r.bodyAsString());
    assertTrue(reload.getBoolean("changed"), r.bodyAsString());
    assertEquals("POST /reload", reload.getString("trigger"));
    assertTrue(reload.getJsonArray("errors").isEmpty(), r.bodyAsString());
    assertTrue(reload.getJsonArray("restart_required").isEmpty(), r.bodyAsString());
    assertNotNull(reload.getString("at"), r.bodyAsString());
    // the answer comes after the swap: the very next request already follows the new chain
    assertEquals("B", gw.answeredBy("v"));

    Response again = gw.post("/reload");
    assertEquals(200, again.status(), again.bodyAsString());
    assertFalse(reloadOf(again).getBoolean("changed"), again.bodyAsString());
    assertEquals("POST /reload", gw.status().getJsonObject("reload").getString("trigger"));
  }

  /**
   * POST /reload of the file as it is now must answer 422 naming {@code problem}, log it, show it in
   * /status, and leave v served by A (the file's own change to v must not be half applied).
   */
  private static void assertRejectedWhole(LiveGateway gw, String problem) {
    Response r;
    try (LogCapture log = LogCapture.start()) {
      r = gw.post("/reload");
      assertTrue(log.records().stream().anyMatch(l -> l.contains(problem)), () -> "logged: " + log.records());
    }
    assertEquals(422, r.status(), r.bodyAsString());
    assertFalse(reloadOf(r).getBoolean("ok"), r.bodyAsString());
    assertTrue(anyContains(reloadOf(r).getJsonArray("errors"), problem), r.bodyAsString());
    assertEquals("A", gw.answeredBy("v"));
    JsonObject status = gw.status();
    JsonObject shown = status.getJsonObject("reload");
    assertFalse(shown.getBoolean("ok"), shown::encode);
    assertTrue(anyContains(shown.getJsonArray("errors"), problem), shown::encode);
    assertEquals("A", status.getJsonObject("virtual_models").getJsonArray("v").getJsonObject(0).getString("provider"));
  }

  @Test
  void anUnknownKeyIsRejectedWholeAndTheRunningConfigKeepsServing() {
    LiveGateway gw = start(config(NO_SCAN, "", chain("v", "A")));
    gw.write(config(NO_SCAN, "", chain("v", "B")).replace("instances = 1\n", "instances = 1\nprot = 9\n"));
    assertRejectedWhole(gw, "server.prot");
  }

  @Test
  void aTomlSyntaxErrorIsRejectedWithItsLineAndTheRunningConfigKeepsServing() {
    LiveGateway gw = start(config(NO_SCAN, "", chain("v", "A")));
    String good = config(NO_SCAN, "", chain("v", "B"));
    gw.write(good + "this line = is = not toml\n");
    assertRejectedWhole(gw, "line " + (good.lines().count() + 1));
  }

  @Test
  void theWatcherReportsASyntaxErrorOnceAndKeepsServing() {
    LiveGateway gw = start(config(FAST_SCAN, "", chain("v", "A")));
    gw.write(config(FAST_SCAN, "", chain("v", "B")) + "[broken\n");
    JsonObject rejected = until(FEW_SCANS, () -> gw.status().getJsonObject("reload"),
        rl -> !rl.getBoolean("ok"), "the watcher reports the broken file in /status");
    assertEquals("file change", rejected.getString("trigger"), rejected::encode);
    assertTrue(anyContains(rejected.getJsonArray("errors"), "line "), rejected::encode);
    // over several more scan periods: still served by the running config, and reported once (same time)
    long watchUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(6 * FAST_SCAN);
    while (System.nanoTime() < watchUntil) {
      assertEquals("A", gw.answeredBy("v"));
    }
    assertEquals(rejected, gw.status().getJsonObject("reload"), "one report for one broken file");

    gw.write(config(FAST_SCAN, "", chain("v", "B")));
    until(FEW_SCANS, () -> gw.answeredBy("v"), "B"::equals, "the fixed file is applied");
    assertTrue(gw.status().getJsonObject("reload").getBoolean("ok"));
  }

  @Test
  void aDeletedFileIsReportedOnceWithoutATraceAtEachScanAndItsReturnClearsIt() throws Exception {
    String running = config(FAST_SCAN, "", chain("v", "A"));
    LiveGateway gw = start(running);
    try (LogCapture log = LogCapture.start()) {
      java.nio.file.Files.delete(gw.file());
      JsonObject rejected = until(FEW_SCANS, () -> gw.status().getJsonObject("reload"), rl -> !rl.getBoolean("ok"),
          "the missing file is reported");
      assertEquals(List.of("file: " + gw.file().toAbsolutePath() + " does not exist"),
          rejected.getJsonArray("errors").getList(), rejected::encode);
      assertEquals("A", gw.answeredBy("v"));
      gw.write(running); // put back as it was: no change from the running config, still a change from the report
      JsonObject back = until(FEW_SCANS, () -> gw.status().getJsonObject("reload"), rl -> rl.getBoolean("ok"),
          "/status stops reporting a file that is back");
      assertTrue(back.getJsonArray("errors").isEmpty(), back::encode);
      // vertx-config's file store logged a stack trace at every scan while the file was gone
      assertTrue(log.records().stream().noneMatch(l -> l.contains("NoSuchFileException")
          || l.contains("Error while scanning")), () -> String.join("\n", log.records()));
    }
  }

  @Test
  void revertingABrokenFileToTheRunningOneClearsTheReportedError() {
    String running = config(FAST_SCAN, "", chain("v", "A"));
    LiveGateway gw = start(running);
    gw.write(running + "[broken\n");
    until(FEW_SCANS, () -> gw.status().getJsonObject("reload"), rl -> !rl.getBoolean("ok"), "the broken file is reported");
    gw.write(running); // the operator undoes the bad edit
    JsonObject fixed = until(FEW_SCANS, () -> gw.status().getJsonObject("reload"), rl -> rl.getBoolean("ok"),
        "/status stops reporting an error the file no longer has");
    assertTrue(fixed.getJsonArray("errors").isEmpty(), fixed::encode);
  }

  @Test
  void aRestartOnlyChangeIsReportedAndTheListenerStays() {
    LiveGateway gw = start(config(NO_SCAN, "", chain("v", "A")));
    int newPort = ApiChecks.unusedPort();
    gw.write(config(NO_SCAN, "", chain("v", "A")).replace("port = 0\n", "port = " + newPort + "\n"));
    Response r = gw.post("/reload");
    assertEquals(200, r.status(), r.bodyAsString());
    JsonObject reload = reloadOf(r);
    assertTrue(reload.getBoolean("ok"), r.bodyAsString());
    assertEquals(List.of("server.port"), reload.getJsonArray("restart_required").getList(), r.bodyAsString());
    assertEquals(List.of("server.port"),
        gw.status().getJsonObject("reload").getJsonArray("restart_required").getList());
    assertEquals("A", gw.answeredBy("v"), "still serving on the port it bound at start");
    assertTrue(ChildGateway.refused(newPort), "nothing listens on the new port until a restart");

    // a later reload that changes something else still owes the restart: it is measured against
    // what the gateway started with, not against the reload before
    gw.write(config(NO_SCAN, "", chain("v", "B")).replace("port = 0\n", "port = " + newPort + "\n"));
    assertEquals(List.of("server.port"), reloadOf(gw.post("/reload")).getJsonArray("restart_required").getList());
    // so does a reload of the same file, which changes nothing (it answered an empty list)
    JsonObject again = reloadOf(gw.post("/reload"));
    assertFalse(again.getBoolean("changed"), again::encode);
    assertEquals(List.of("server.port"), again.getJsonArray("restart_required").getList());
    assertEquals(List.of("server.port"),
        gw.status().getJsonObject("reload").getJsonArray("restart_required").getList());
    // and the port put back as it started needs none
    gw.write(config(NO_SCAN, "", chain("v", "A")));
    assertEquals(List.of(), reloadOf(gw.post("/reload")).getJsonArray("restart_required").getList());
  }

  @Test
  void breakerStateSurvivesAReloadForAProviderThatKeepsItsName() {
    String breaker = "[breaker]\nfailure_threshold = 2\nopen_base_secs = 60\n";
    LiveGateway gw = start(config(NO_SCAN, breaker, chain("v", "A", "B")));
    a.respond(Behaviour.error(503, "server_error", "down"));
    assertEquals("B", gw.answeredBy("v"));
    assertEquals("B", gw.answeredBy("v"));
    JsonObject open = until(FEW_SCANS, () -> gw.provider("A"), p -> "open".equals(p.getString("state")),
        "A's circuit opens after 2 failures");
    assertNotNull(open.getString("open_until"), open::encode);

    // an unrelated change: one more provider and virtual model
    gw.write(config(NO_SCAN, breaker, chain("v", "A", "B") + "w = [{ provider = \"C\", model = \"m\" }]\n")
        .replace("[virtual_models]", provider("C", c, "") + "[virtual_models]"));
    Response r = gw.post("/reload");
    assertEquals(200, r.status(), r.bodyAsString());
    assertTrue(reloadOf(r).getBoolean("changed"), r.bodyAsString());

    JsonObject after = gw.provider("A");
    assertEquals("open", after.getString("state"), after::encode);
    assertEquals(open.getString("open_until"), after.getString("open_until"), after::encode);
    assertEquals(open.getInteger("consecutive_failures"), after.getInteger("consecutive_failures"), after::encode);
    assertEquals(open.getLong("failures"), after.getLong("failures"), after::encode);
    assertEquals("B", gw.answeredBy("v"));
    assertEquals(2, a.requestCount(), "an open A is not contacted after the reload");
    assertEquals("C", gw.answeredBy("w"));
  }

  @Test
  void aProviderRemovedByReloadLeavesStatus() {
    String withC = chain("v", "A") + "w = [{ provider = \"C\", model = \"m\" }]\n";
    LiveGateway gw = start(config(NO_SCAN, "", withC).replace("[virtual_models]", provider("C", c, "") + "[virtual_models]"));
    assertNotNull(gw.provider("C"));
    gw.write(config(NO_SCAN, "", chain("v", "A")));
    Response r = gw.post("/reload");
    assertEquals(200, r.status(), r.bodyAsString());
    JsonObject status = gw.status();
    assertNull(LiveGateway.provider(status, "C"), status::encode);
    assertEquals(2, status.getJsonArray("providers").size(), status::encode);
    assertFalse(status.getJsonObject("virtual_models").containsKey("w"), status::encode);
    assertEquals(404, gw.chat("w").status());
  }

  @ParameterizedTest(name = "A removed by the reload: {0}")
  @ValueSource(booleans = {false, true})
  void aStreamInFlightDuringAReloadCompletesIntactOnItsOldConfig(boolean removeA) {
    LiveGateway gw = start(config(NO_SCAN, "", chain("v", "A")));
    a.respond(Behaviour.sseChat(20, 50));
    Promise<Void> third = Promise.promise();
    StreamRecorder rec = new StreamRecorder().onEvent((x, n) -> {
      if (n == 3) {
        third.tryComplete();
      }
    });
    await(gw.onLoop(() -> rec.post(gw.client(), gw.port(), StreamRecorder.chatBody("v"))));
    await(third.future());

    gw.write(removeA ? LiveGateway.server(NO_SCAN, "") + provider("B", b, "") + chain("v", "B")
        : config(NO_SCAN, "", chain("v", "B")));
    Response r = gw.post("/reload");
    assertEquals(200, r.status(), r.bodyAsString());
    assertTrue(reloadOf(r).getBoolean("changed"), r.bodyAsString());
    assertEquals("B", gw.answeredBy("v"), "a new request follows the new config");
    assertFalse(rec.done().isComplete(), "the reload happened while the stream was still running");

    await(rec.done());
    assertNull(rec.failure(), () -> "stream broke: " + rec.failure());
    assertEquals(200, rec.status());
    assertEquals("A", rec.header("x-oxllm-provider"));
    assertTrue(rec.errors().isEmpty(), rec::rawString);
    assertEquals(Behaviour.streamText(20), rec.text());
    assertEquals("[DONE]", rec.lastEvent());
    assertEquals(1, a.requestCount());
    assertEquals(1, b.requestCount());
  }

  @Test
  void aRejectedFileNeverPutsItsApiKeyInTheLog() {
    String keyed = config(FAST_SCAN, "", chain("v", "A"))
        .replace("models = [\"m\"]\n", "models = [\"m\"]\napi_key = \"sk-secret-123\"\n");
    try (LogCapture log = LogCapture.start()) {
      LiveGateway gw = start(keyed);
      gw.write(keyed + "[broken\n");
      until(FEW_SCANS, () -> gw.status().getJsonObject("reload"), rl -> !rl.getBoolean("ok"),
          "the watcher rejects the broken file");
      gw.write(keyed.replace("instances = 1\n", "instances = 1\nprot = 9\n"));
      Response r = gw.post("/reload");
      assertEquals(422, r.status(), r.bodyAsString());
      assertFalse(r.bodyAsString().contains("sk-secret-123"), r.bodyAsString());
      assertFalse(log.records().isEmpty(), "the rejections were logged");
      for (String line : log.records()) {
        assertFalse(line.contains("sk-secret-123"), () -> "an API key in the log:\n" + line);
      }
    }
  }
}
