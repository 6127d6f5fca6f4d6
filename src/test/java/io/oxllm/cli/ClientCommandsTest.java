package io.oxllm.cli;

import static io.oxllm.testing.ChainToml.chain;
import static io.oxllm.testing.ChainToml.provider;
import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.ApiChecks;
import io.oxllm.testing.LiveGateway;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client commands of SPEC section 1 ({@code status}, {@code provider …}, {@code reload},
 * {@code stop}) run in-process through {@link Main#run} against a real gateway on a real port:
 * exit codes 0/1/2, what they print, and that the admin token comes from the config.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientCommandsTest {
  @TempDir
  Path dir;
  private Vertx vertx;
  private TestUpstream a;
  private TestUpstream b;
  private String out;
  private String err;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    a = await(TestUpstream.start(vertx));
    b = await(TestUpstream.start(vertx));
  }

  private LiveGateway start(String serverLines) {
    return LiveGateway.fromToml(vertx, LiveGateway.server(600_000, serverLines)
        + provider("A", a, "") + provider("B", b, "") + chain("v", "A", "B"));
  }

  private static String url(LiveGateway gw) {
    return "http://127.0.0.1:" + gw.port();
  }

  /** Runs the command line; keeps what it printed in {@link #out} and {@link #err}. */
  private int run(String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
    out = o.toString(StandardCharsets.UTF_8);
    err = e.toString(StandardCharsets.UTF_8);
    return code;
  }

  private String printed() {
    return "out:\n" + out + "\nerr:\n" + err;
  }

  @Test
  void statusPrintsTheProviderAndVirtualModelTables() {
    LiveGateway gw = start("");
    assertEquals(0, run("status", "--url", url(gw)), this::printed);
    assertTrue(out.contains("PROVIDER") && out.contains("VIRTUAL MODEL"), this::printed);
    assertTrue(out.lines().anyMatch(l -> l.startsWith("A ")) && out.lines().anyMatch(l -> l.startsWith("B ")), this::printed);
    assertTrue(out.lines().anyMatch(l -> l.startsWith("v ")), this::printed);
    assertTrue(err.isEmpty(), this::printed);
  }

  @Test
  void statusJsonPrintsTheStatusDocument() {
    LiveGateway gw = start("");
    assertEquals(0, run("status", "--json", "--url", url(gw)), this::printed);
    JsonObject status = new JsonObject(out);
    assertEquals(2, status.getJsonArray("providers").size(), out);
    assertEquals("A", status.getJsonObject("virtual_models").getJsonArray("v").getJsonObject(0).getString("provider"));
    assertTrue(status.containsKey("reload") && status.containsKey("uptime_secs"), out);
  }

  @Test
  void providerOfflineOnlineAndResetChangeTheRunningGateway() {
    LiveGateway gw = start("");
    assertEquals(0, run("provider", "offline", "A", "--url", url(gw)), this::printed);
    assertTrue(out.contains("A") && out.contains("offline"), this::printed);
    assertEquals(true, gw.provider("A").getBoolean("offline"));
    assertEquals("B", gw.answeredBy("v"));

    assertEquals(0, run("provider", "online", "A", "--url", url(gw)), this::printed);
    assertEquals(false, gw.provider("A").getBoolean("offline"));
    assertEquals("A", gw.answeredBy("v"));
    assertEquals(0, run("provider", "reset", "A", "--url", url(gw)), this::printed);
    assertTrue(out.contains("0 consecutive failures"), this::printed);
  }

  @Test
  void onlineOfAProviderDisabledInTheConfigSaysItStaysDisabled() {
    LiveGateway gw = LiveGateway.fromToml(vertx, LiveGateway.server(600_000, "")
        + provider("A", a, "") + provider("B", b, "") + "enabled = false\n" + chain("v", "A"));
    assertEquals(0, run("provider", "online", "B", "--url", url(gw)), this::printed);
    assertTrue(out.contains("provider B: online, but disabled in the config (enabled = false)"), this::printed);
  }

  @Test
  void providerListPrintsTheProviderTable() {
    LiveGateway gw = start("");
    assertEquals(0, run("provider", "list", "--url", url(gw)), this::printed);
    assertTrue(out.contains("PROVIDER"), this::printed);
    assertTrue(out.lines().anyMatch(l -> l.startsWith("A ")) && out.lines().anyMatch(l -> l.startsWith("B ")), this::printed);
  }

  @Test
  void anUnknownProviderIsARuntimeFailureWithTheGatewaysMessage() {
    LiveGateway gw = start("");
    assertEquals(1, run("provider", "offline", "nope", "--url", url(gw)), this::printed);
    assertTrue(err.contains("nope") && err.contains("404"), this::printed);
  }

  @Test
  void anUnknownProviderActionIsAUsageError() {
    LiveGateway gw = start("");
    assertEquals(2, run("provider", "frob", "--url", url(gw)), this::printed);
    assertTrue(err.contains("usage"), this::printed);
    assertEquals(2, run("provider", "offline", "--url", url(gw)), this::printed);
  }

  @Test
  void reloadOfAGatewayWithoutAConfigFileFailsWithTheReason() {
    LiveGateway gw = start("");
    assertEquals(1, run("reload", "--url", url(gw)), this::printed);
    assertTrue(err.contains("rejected") && err.contains("without a config file"), this::printed);
  }

  @Test
  void aGatewayThatIsNotRunningGetsOneClearLine() {
    assertEveryCommandFailsOnOneLine("http://127.0.0.1:" + ApiChecks.unusedPort(), "not running");
  }

  /** Each client command with {@code --url url} exits 1, printing one line that holds {@code says}, and nothing else. */
  private void assertEveryCommandFailsOnOneLine(String url, String... says) {
    for (List<String> cmd : List.of(List.of("status"), List.of("status", "--json"), List.of("provider", "list"),
        List.of("provider", "offline", "A"), List.of("reload"), List.of("stop"))) {
      String[] args = new String[cmd.size() + 2];
      cmd.toArray(args);
      args[cmd.size()] = "--url";
      args[cmd.size() + 1] = url;
      assertEquals(1, run(args), () -> cmd + "\n" + printed());
      List<String> lines = err.lines().filter(l -> !l.isBlank()).toList();
      assertEquals(1, lines.size(), () -> cmd + ": one line expected\n" + printed());
      for (String s : says) {
        assertTrue(lines.get(0).contains(s), () -> cmd + "\n" + printed());
      }
      assertTrue(out.isEmpty(), () -> cmd + "\n" + printed());
    }
  }

  @Test
  void aServerThatIsNotTheGatewayGetsOneClearLine() {
    // --url at some other web server: its HTML page was printed as the status (exit 0), or whole
    // as the error, and provider list died with a stack trace (an audit)
    String page = "<!DOCTYPE html>\n<html>\n<body>\n<h1>Directory listing</h1>\n</body>\n</html>\n";
    var other = await(vertx.createHttpServer().requestHandler(req -> req.response()
        .setStatusCode(req.method() == io.vertx.core.http.HttpMethod.GET ? 200 : 501)
        .putHeader("content-type", "text/html").end(page)).listen(0, "127.0.0.1"));
    assertEveryCommandFailsOnOneLine("http://127.0.0.1:" + other.actualPort(), "not the gateway", "text/html");
    await(other.close());
    // JSON that is not the gateway's: reload's "ok" as a string threw a ClassCastException (a re-audit)
    var json = await(vertx.createHttpServer().requestHandler(req -> req.response()
        .putHeader("content-type", "application/json").end("{\"reload\":{\"ok\":\"yes\"}}")).listen(0, "127.0.0.1"));
    assertEveryCommandFailsOnOneLine("http://127.0.0.1:" + json.actualPort(), "not the gateway", "application/json");
    await(json.close());
    // an OpenAI-shaped error from an upstream the --url names by mistake: not "the gateway answered"
    var upstream = await(vertx.createHttpServer().requestHandler(req -> req.response().setStatusCode(404)
        .putHeader("content-type", "application/json").end("{\"error\":{\"message\":\"Invalid URL\"}}")).listen(0, "127.0.0.1"));
    String url = "http://127.0.0.1:" + upstream.actualPort();
    assertEveryCommandFailsOnOneLine(url, url + " answered 404: Invalid URL");
    await(upstream.close());
  }

  @Test
  void aConfigWithPortZeroAsksForTheUrl(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    // "any free port": the config cannot say which, and "not running at 127.0.0.1:0" misled
    java.nio.file.Path conf = java.nio.file.Files.writeString(dir.resolve("c.toml"),
        "[server]\nport = 0\n" + provider("A", a, ""));
    assertEquals(2, run("status", "-conf", conf.toString()), this::printed);
    assertTrue(err.contains("has server.port = 0 (any free port)") && err.contains("pass --url"), this::printed);
  }

  @Test
  void aMistypedUrlIsAUsageErrorOnOneLine() {
    for (String url : List.of("127.0.0.1:8080", "localhost:8080", "ftp://127.0.0.1:8080", "http://127.0.0.1:99999",
        "http://[::1", "http://127.0.0.1:8080 ", "http://my_host:8080")) {
      assertEquals(2, run("status", "--url", url), () -> url + "\n" + printed());
      List<String> lines = err.lines().filter(l -> !l.isBlank()).toList();
      assertEquals(1, lines.size(), () -> url + ": one line expected\n" + printed());
      assertTrue(lines.get(0).startsWith("oxllm: --url \"") && lines.get(0).contains("like http://127.0.0.1:8080"),
          () -> url + "\n" + printed());
    }
  }

  @Test
  void aGatewayOnIpv6LoopbackIsFoundFromItsConfig() throws Exception {
    try { // IPv6 loopback is there on this project's machines; a host without it skips this
      new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("::1")).close();
    } catch (java.io.IOException none) {
      org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback here");
    }
    String providers = provider("A", a, "") + chain("v", "A");
    LiveGateway gw = LiveGateway.fromToml(vertx,
        "[server]\nhost = \"localhost\"\nbind_family = \"ipv6\"\nport = 0\ninstances = 1\n" + providers);
    for (String server : List.of("host = \"localhost\"\nbind_family = \"ipv6\"", "host = \"[::1]\"", "host = \"::1\"")) {
      Path conf = dir.resolve("v6.toml");
      Files.writeString(conf, "[server]\n" + server + "\nport = " + gw.port() + "\n" + providers);
      assertEquals(0, run("status", "-conf", conf.toString()), () -> server + "\n" + printed());
      assertTrue(out.contains("PROVIDER"), this::printed);
    }
  }

  @Test
  void theConfigFileGivesTheAddressAndTheAdminToken() throws Exception {
    LiveGateway gw = start("admin_token = \"cli-tok\"");
    Path conf = dir.resolve("client.toml");
    Files.writeString(conf, "[server]\nhost = \"127.0.0.1\"\nport = " + gw.port() + "\nadmin_token = \"cli-tok\"\n"
        + "[[providers]]\nname = \"echo\"\ntype = \"echo\"\n[virtual_models]\nd = [{ provider = \"echo\", model = \"echo\" }]\n");
    assertEquals(0, run("status", "-conf", conf.toString()), this::printed);
    assertTrue(out.contains("PROVIDER"), this::printed);
    assertEquals(0, run("provider", "offline", "B", "-conf", conf.toString()), this::printed);
    assertEquals(true, gw.provider("B", "authorization", "Bearer cli-tok").getBoolean("offline"));

    // without the config there is no token: the gateway refuses, and the CLI says why
    assertEquals(1, run("status", "--url", url(gw)), this::printed);
    assertTrue(err.contains("401"), this::printed);

    // a config that does not load gives no token either, and the CLI says so before the 401
    Path broken = dir.resolve("broken.toml");
    Files.writeString(broken, Files.readString(conf) + "[routing]\nmax_attempts = 0\n");
    assertEquals(1, run("status", "-conf", broken.toString(), "--url", url(gw)), this::printed);
    assertTrue(err.contains(broken + " is invalid, so no admin_token is sent to " + url(gw)), this::printed);
    assertTrue(err.contains("401"), this::printed);
  }

  @Test
  void stopDrainsAndStopsTheGateway() {
    LiveGateway gw = start("");
    assertEquals(0, run("stop", "--url", url(gw)), this::printed);
    assertTrue(out.contains("stopping"), this::printed);
    int port = gw.port();
    until(Duration.ofSeconds(10), () -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return false;
      } catch (ConnectException refused) {
        return true;
      }
    }, refused -> refused, "the gateway stops listening");
  }
}
