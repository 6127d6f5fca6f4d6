package io.oxllm.cli;

import static io.oxllm.testing.ChainToml.chain;
import static io.oxllm.testing.ChainToml.provider;
import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.ApiChecks;
import io.oxllm.testing.Behaviour;
import io.oxllm.testing.ChildGateway;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.LiveGateway;
import io.oxllm.testing.LoopClient;
import io.oxllm.testing.StreamRecorder;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

/**
 * The gateway as a real process (SPEC sections 1 and 8): {@code Main serve} in a child JVM, its
 * upstreams in this one. SIGTERM drains a running stream and refuses new connections, the grace
 * period ends what is left with the error event, SIGHUP re-reads the file, {@code oxllm stop}
 * stops it through the admin API, and {@code validate} exits 2 on a bad file. Exit codes are the
 * child's own.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProcessLifecycleTest {
  private static final Duration STARTUP = Duration.ofSeconds(30);

  @TempDir
  Path dir;
  private Path conf;
  private int port;
  private TestUpstream a;
  private TestUpstream b;
  private LoopClient http;
  private ChildGateway child;

  @BeforeEach
  void setUp(Vertx vertx) {
    a = await(TestUpstream.start(vertx));
    b = await(TestUpstream.start(vertx));
    http = new LoopClient(vertx);
    conf = dir.resolve("oxllm.toml");
    port = ApiChecks.unusedPort();
  }

  @AfterEach
  void killChild() {
    if (child != null) {
      child.destroy();
    }
  }

  private String toml(int graceSecs, String target) {
    return "[server]\nhost = \"127.0.0.1\"\nport = " + port + "\ninstances = 1\nshutdown_grace_secs = " + graceSecs
        + "\nconfig_scan_ms = 600000\n" + provider("A", a, "") + provider("B", b, "") + chain("v", target);
  }

  private void serve(String toml) {
    LiveGateway.writeAtomically(conf, toml);
    child = ChildGateway.start("serve", "-conf", conf.toString());
    child.awaitStdout(l -> l.contains("listening on"), STARTUP);
  }

  private String answeredBy(String model) {
    Response r = http.send(port, HttpMethod.POST, LiveGateway.CHAT, LoopClient.chatBody(model));
    assertEquals(200, r.status(), r::bodyAsString);
    return r.header("x-oxllm-provider");
  }

  /** Starts a stream of v and waits until {@code n} events arrived. */
  private StreamRecorder streamUntil(int n) {
    Promise<Void> nth = Promise.promise();
    StreamRecorder rec = new StreamRecorder().onEvent((x, count) -> {
      if (count == n) {
        nth.tryComplete();
      }
    });
    await(http.onLoop(() -> rec.post(http.client(), port, StreamRecorder.chatBody("v"))));
    await(nth.future());
    return rec;
  }

  @Test
  void requestsThatCameWhileTheProcessStoodStillAreAnswered() throws Exception {
    // a stall longer than idle_timeout_secs (a stopped process, a starved CPU): the idle sweep ran
    // before the requests waiting in the sockets were read, and reset their connections (a soak;
    // 27 of 30). A sweep that comes late now closes nothing: the next one decides.
    serve("[server]\nhost = \"127.0.0.1\"\nport = " + port + "\ninstances = 1\nidle_timeout_secs = 1\n"
        + provider("A", a, "") + chain("v", "A"));
    String body = LoopClient.chatBody("v");
    String request = "POST " + LiveGateway.CHAT + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + body.length() + "\r\n\r\n" + body;
    List<Socket> sockets = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 5; i++) {
        sockets.add(ChildGateway.connect(port));
      }
      Thread.sleep(300); // accepted, idle
      child.signal("STOP");
      for (Socket s : sockets) {
        s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      }
      Thread.sleep(2_500); // the idle period and more go by, the requests unread
      child.signal("CONT");
      for (Socket s : sockets) {
        s.setSoTimeout(10_000);
        byte[] head;
        try {
          head = s.getInputStream().readNBytes(12);
        } catch (java.io.IOException e) {
          throw new AssertionError("no answer on socket " + sockets.indexOf(s) + ": " + e + "\n" + child.output(), e);
        }
        assertEquals("HTTP/1.1 200", new String(head, StandardCharsets.ISO_8859_1), child::output);
      }
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  @Test
  void sigtermLetsARunningStreamFinishAndRefusesNewConnections() throws Exception {
    a.respond(Behaviour.sseChat(10, 200));
    serve(toml(10, "A"));
    try (Socket idle = ChildGateway.connect(port); Socket idle2 = ChildGateway.connect(port)) {
      assertEquals("200", ChildGateway.exchange(idle, "GET", "/readyz", null)[0]);
      assertEquals("200", ChildGateway.exchange(idle2, "GET", "/readyz", null)[0]);
      StreamRecorder rec = streamUntil(2);
      long signalled = System.nanoTime();
      child.signal("TERM");

      until(Duration.ofSeconds(2), () -> ChildGateway.refused(port), r -> r, "new connections are refused");
      // open keep-alive connections are held through the drain: their next request is answered, the last
      String[] ready = ChildGateway.exchange(idle, "GET", "/readyz", null);
      assertTrue(ready != null && ready[0].equals("503") && ready[2].equals("close"),
          () -> "readyz on an open connection while draining: " + String.join(" | ", ready == null ? new String[] {"closed"} : ready));
      String[] chat = ChildGateway.exchange(idle2, "POST", LiveGateway.CHAT, LoopClient.chatBody("v"));
      assertTrue(chat != null && chat[0].equals("503") && chat[1].contains("shutting_down") && chat[2].equals("close"),
          () -> "a new request on an open connection while draining: " + String.join(" | ", chat == null ? new String[] {"closed"} : chat));
      // at once, not when the drain ends (the stream runs on for over a second)
      idle2.setSoTimeout(500);
      assertEquals(-1, idle2.getInputStream().read(), "the connection closes after that answer");

      await(rec.done(), Duration.ofSeconds(15));
      assertNull(rec.failure(), () -> "the stream broke: " + rec.failure() + "\n" + child.output());
      assertEquals(Behaviour.streamText(10), rec.text());
      assertTrue(rec.errors().isEmpty(), rec::rawString);
      assertEquals("[DONE]", rec.lastEvent(), rec::rawString);
      assertEquals(0, child.awaitExit(Duration.ofSeconds(12)), child::output);
      long ms = (System.nanoTime() - signalled) / 1_000_000;
      assertTrue(ms < 10_000, "exited within the grace period, took " + ms + " ms");
    }
  }

  @Test
  void theGracePeriodEndsAStreamWithTheErrorEventAndTheProcessExitsZero() {
    a.respond(Behaviour.sseChat(50, 200));
    serve(toml(1, "A"));
    StreamRecorder rec = streamUntil(2);
    long signalled = System.nanoTime();
    child.signal("TERM");

    await(rec.done(), Duration.ofSeconds(10));
    assertFalse(rec.sawDone(), rec::rawString);
    List<JsonObject> errors = rec.errors();
    assertEquals(1, errors.size(), rec::rawString);
    assertEquals("stream_interrupted", errors.get(0).getString("code"), rec::rawString);
    int got = rec.contents().size();
    assertTrue(got >= 4 && got < 50, () -> "the stream ran on during the grace period, then ended: " + got + " chunks");
    assertEquals(0, child.awaitExit(Duration.ofSeconds(10)), child::output);
    long ms = (System.nanoTime() - signalled) / 1_000_000;
    // 1 s of grace, then the interrupt, the drain and the Vert.x close; generous for a loaded CI box
    assertTrue(ms < 5_000, "exited soon after the 1 s grace, took " + ms + " ms\n" + child.output());
  }

  @Test
  void sigintStopsGracefullyToo() {
    serve(toml(5, "A"));
    assertEquals("A", answeredBy("v"));
    child.signal("INT");
    assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), child::output);
  }

  @Test
  void withTwoInstancesEveryOpenConnectionIsHeldWhileAStreamRuns() throws Exception {
    a.respond(Behaviour.sseChat(10, 200));
    serve(toml(10, "A").replace("instances = 1", "instances = 2"));
    // consecutive connections go to the instances in turn: the two idle ones are on different
    // instances, so one of them is on an instance that runs no exchange
    try (Socket idle = ChildGateway.connect(port); Socket idle2 = ChildGateway.connect(port)) {
      assertEquals("200", ChildGateway.exchange(idle, "GET", "/readyz", null)[0]);
      assertEquals("200", ChildGateway.exchange(idle2, "GET", "/readyz", null)[0]);
      StreamRecorder rec = streamUntil(2);
      child.signal("TERM");
      until(Duration.ofSeconds(2), () -> ChildGateway.refused(port), r -> r, "new connections are refused");
      for (Socket s : List.of(idle, idle2)) {
        String[] ready = ChildGateway.exchange(s, "GET", "/readyz", null);
        assertTrue(ready != null && ready[0].equals("503"),
            () -> "readyz on an open connection while draining: " + (ready == null ? "closed" : String.join(" | ", ready)));
      }
      await(rec.done(), Duration.ofSeconds(15));
      assertEquals("[DONE]", rec.lastEvent(), rec::rawString);
      assertEquals(0, child.awaitExit(Duration.ofSeconds(12)), child::output);
    }
  }

  @Test
  void neitherASecondAdminShutdownNorTheSigtermAfterItIsASecondSignal() throws Exception {
    // a client retrying its call, or "oxllm stop" then SIGTERM: the stop asked for is already
    // running (two audits: each halted the process, cutting every stream, exit 1, no request log)
    a.respond(Behaviour.sseChat(10, 200));
    serve(toml(10, "A"));
    try (Socket first = ChildGateway.connect(port); Socket second = ChildGateway.connect(port)) {
      assertEquals("200", ChildGateway.exchange(second, "GET", "/readyz", null)[0]);
      StreamRecorder rec = streamUntil(2);
      assertEquals("202", ChildGateway.exchange(first, "POST", "/admin/shutdown", null)[0]);
      until(Duration.ofSeconds(2), () -> ChildGateway.refused(port), r -> r, "new connections are refused");
      String[] again = ChildGateway.exchange(second, "POST", "/admin/shutdown", null);
      assertTrue(again != null && (again[0].equals("202") || again[0].equals("503")),
          () -> "the second call: " + (again == null ? "closed" : String.join(" | ", again)));
      // and the SIGTERM a preStop hook's "oxllm stop" is followed by: not a second signal either
      child.signal("TERM");
      await(rec.done(), Duration.ofSeconds(15));
      assertEquals("[DONE]", rec.lastEvent(), rec::rawString);
      assertEquals(0, child.awaitExit(Duration.ofSeconds(12)), child::output);
    }
  }

  @Test
  void idleKeepAliveConnectionsDoNotHoldTheStop() throws Exception {
    serve(toml(20, "A"));
    try (Socket idle = ChildGateway.connect(port)) {
      assertEquals("200", ChildGateway.exchange(idle, "GET", "/readyz", null)[0]);
      long signalled = System.nanoTime();
      child.signal("TERM");
      idle.setSoTimeout(10_000);
      assertEquals(-1, idle.getInputStream().read(), "the idle connection is closed once nothing runs");
      assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), child::output);
      long ms = (System.nanoTime() - signalled) / 1_000_000;
      assertTrue(ms < 5_000, "nothing ran, so the stop took far less than the 20 s grace period: " + ms + " ms");
    }
  }

  @Test
  void sighupReReadsTheConfigFile() {
    serve(toml(5, "A"));
    assertEquals("A", answeredBy("v"));
    LiveGateway.writeAtomically(conf, toml(3, "B"));
    child.signal("HUP");
    until(Duration.ofSeconds(5), () -> answeredBy("v"), "B"::equals, "v follows the file after SIGHUP");
    Response status = http.send(port, HttpMethod.GET, "/status", null);
    JsonObject reload = status.json().getJsonObject("reload");
    assertEquals("SIGHUP", reload.getString("trigger"), reload::encode);
    assertTrue(reload.getBoolean("ok") && reload.getBoolean("changed"), reload::encode);
    // the stop works, and says it works, with the reloaded grace (it said the one it started with)
    child.signal("TERM");
    assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), child::output);
    assertTrue(child.stderr().contains("oxllm: stopping; in-flight requests have up to 3 s to finish"), child::output);
  }

  @Test
  void theInstancesFlagHoldsForAReloadToo() {
    // the file says 1, the command line 2: a reload compared the file with the flag, said the
    // unchanged file had changed and listed a restart as required, for ever (an audit)
    LiveGateway.writeAtomically(conf, toml(5, "A"));
    child = ChildGateway.start("serve", "-conf", conf.toString(), "-instances", "2");
    child.awaitStdout(l -> l.contains("listening on") && l.contains("2 HTTP instances"), STARTUP);
    Response r = http.send(port, HttpMethod.POST, "/reload", null);
    JsonObject reload = r.json().getJsonObject("reload");
    assertTrue(reload.getBoolean("ok"), reload::encode);
    assertFalse(reload.getBoolean("changed"), reload::encode);
    assertTrue(reload.getJsonArray("restart_required").isEmpty(), reload::encode);
  }

  @Test
  void stopThroughTheCliStopsTheChildWithExitZero() {
    serve(toml(5, "A"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(new String[] {"stop", "-conf", conf.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, code, () -> out + "\n" + err);
    assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), child::output);
    assertTrue(ChildGateway.refused(port));
  }

  @Test
  void aPortInUseExitsOneWithOneLineNamingTheAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", port));
      LiveGateway.writeAtomically(conf, toml(1, "A"));
      child = ChildGateway.start("serve", "-conf", conf.toString());
      assertEquals(1, child.awaitExit(STARTUP), child::output);
    }
    List<String> lines = child.stderr().stream().filter(l -> l.startsWith("oxllm:") || l.contains("Exception")).toList();
    assertEquals(1, lines.size(), child::output);
    assertTrue(lines.get(0).startsWith("oxllm: could not start: cannot listen on 127.0.0.1:" + port + ": "), child::output);
    assertTrue(lines.get(0).contains("Address already in use"), child::output);
  }

  @Test
  void theMockOnAPortInUseExitsOneWithOneLine() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", port));
      child = ChildGateway.start("mock", "-host", "127.0.0.1", "-port", Integer.toString(port));
      assertEquals(1, child.awaitExit(STARTUP), child::output);
    }
    List<String> lines = child.stderr().stream().filter(l -> l.startsWith("oxllm") || l.contains("Exception")).toList();
    assertEquals(1, lines.size(), child::output);
    assertTrue(lines.get(0).startsWith("oxllm mock: could not start: ") && lines.get(0).contains("Address already in use"),
        child::output);
  }

  @Test
  void theMockAnswersTheLargestShapesItAcceptsOneAfterAnotherWithTheShippedHeap() throws Exception {
    // each 16 MiB shape is ~100 MB built; the mock kept 32 of them, and ended at the second (an audit)
    child = ChildGateway.start(List.of("-XX:+UseSerialGC", "-Xmx256m", "-XX:+ExitOnOutOfMemoryError"),
        "mock", "-host", "127.0.0.1", "-port", Integer.toString(port));
    child.awaitStdout(l -> l.contains("listening on"), STARTUP);
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    for (int chunks = 1; chunks <= 4; chunks++) {
      var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
          .header("x-mock-size", "16777216").header("x-mock-chunks", Integer.toString(chunks))
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[]}")).build();
      var answer = client.send(request, java.net.http.HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, answer.statusCode(), child::output);
      assertTrue(answer.body().length > 16_777_216, () -> "a whole answer: " + answer.body().length + " bytes");
    }
    assertTrue(child.isAlive(), child::output);
  }

  @Test
  void validateOfABadFileExitsTwoNamingTheProblem() throws Exception {
    Path bad = dir.resolve("bad.toml");
    Files.writeString(bad, "[server]\nprot = 8080\n[[providers]]\nname = \"e\"\ntype = \"echo\"\n");
    child = ChildGateway.start("validate", "-conf", bad.toString());
    assertEquals(2, child.awaitExit(STARTUP), child::output);
    assertTrue(child.stderr().stream().anyMatch(l -> l.contains("server.prot")), child::output);
  }
}
