package io.oxllm.cli;

import static io.oxllm.testing.ChainToml.chain;
import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.proto.trace.v1.Span;
import io.oxllm.testing.ApiChecks;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.ChildGateway;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.LiveGateway;
import io.oxllm.testing.LoopClient;
import io.oxllm.testing.OtlpReceiver;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PfxOptions;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS to providers and to the OTLP collector, as cloud providers and hosted collectors need:
 * the gateway (a child JVM, so its trust store is its own) verifies the server's certificate
 * against the JVM's trust store and the host name, and with a certificate it trusts both legs
 * work. The certificate is made for this test by {@code keytool}, for {@code localhost}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsTest {
  private static final Duration STARTUP = Duration.ofSeconds(30);
  private static final String PASSWORD = "changeit";

  @TempDir
  Path dir;
  private Path keystore;
  private Path truststore;
  private TestUpstream upstream;
  private OtlpReceiver collector;
  private LoopClient http;
  private ChildGateway child;
  private int port;

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    keystore = dir.resolve("server.p12");
    truststore = dir.resolve("trust.p12");
    Path cert = dir.resolve("server.pem");
    keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost", "-validity", "2", "-keystore", keystore.toString(), "-storetype", "PKCS12",
        "-storepass", PASSWORD, "-keypass", PASSWORD);
    keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", keystore.toString(), "-storepass", PASSWORD,
        "-file", cert.toString());
    keytool("-importcert", "-noprompt", "-alias", "server", "-file", cert.toString(), "-keystore",
        truststore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
    HttpServerOptions tls = new HttpServerOptions().setSsl(true)
        .setKeyCertOptions(new PfxOptions().setPath(keystore.toString()).setPassword(PASSWORD));
    upstream = await(TestUpstream.start(vertx, tls));
    collector = await(OtlpReceiver.start(vertx, OtlpReceiver.Mode.ANSWER, tls));
    http = new LoopClient(vertx);
    port = ApiChecks.unusedPort();
  }

  @AfterEach
  void killChild() {
    if (child != null) {
      child.destroy();
    }
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), () -> "keytool " + String.join(" ", args) + ": " + out);
  }

  /** Serves from a file naming the upstream and the collector by {@code https://localhost}. */
  private void serve(List<String> jvmOptions) {
    Path conf = dir.resolve("oxllm.toml");
    LiveGateway.writeAtomically(conf, "[server]\nhost = \"127.0.0.1\"\nport = " + port + "\ninstances = 1\n"
        + "[telemetry]\notlp_endpoint = \"https://localhost:" + collector.port() + "\"\n"
        + "[[providers]]\nname = \"A\"\ntype = \"openai\"\nbase_url = \"https://localhost:" + upstream.port()
        + "/v1\"\nmodels = [\"" + ChainToml.MODEL + "\"]\n" + chain("v", "A"));
    child = ChildGateway.start(jvmOptions, "serve", "-conf", conf.toString());
    child.awaitStdout(l -> l.contains("listening on"), STARTUP);
  }

  private Response chat() {
    return http.send(port, HttpMethod.POST, LiveGateway.CHAT, LoopClient.chatBody("v"));
  }

  @Test
  void withACertificateItsJvmTrustsTheGatewayTalksHttpsToTheProviderAndTheCollector() {
    serve(List.of("-Djavax.net.ssl.trustStore=" + truststore, "-Djavax.net.ssl.trustStorePassword=" + PASSWORD,
        "-Djavax.net.ssl.trustStoreType=PKCS12"));
    Response r = chat();
    assertEquals(200, r.status(), () -> r.bodyAsString() + "\n" + child.output());
    assertEquals("A", r.header("x-oxllm-provider"));
    assertEquals(1, upstream.received().size(), "the provider got the request over TLS");
    String id = r.header("x-request-id");
    until(Duration.ofSeconds(10), () -> collector.spans().stream().anyMatch(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER
        && id.equals(OtlpReceiver.attributes(s.getAttributesList()).get("oxllm.request_id"))), ok -> ok,
        "the collector got the request's span over TLS");
  }

  @Test
  void aCertificateItsJvmDoesNotTrustIsRefused() {
    serve(List.of());
    Response r = chat();
    assertEquals(502, r.status(), () -> r.bodyAsString() + "\n" + child.output());
    // why, not only Vert.x's "Failed to create SSL connection" (an audit: a missing CA and a wrong scheme read alike)
    assertTrue(r.bodyAsString().contains("A: TLS handshake failed: unable to find valid certification path"), r::bodyAsString);
    assertTrue(upstream.received().isEmpty(), "no request reached a provider whose certificate is not trusted");
  }
}
