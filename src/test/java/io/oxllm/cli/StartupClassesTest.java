package io.oxllm.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a started gateway has loaded, in a JVM of its own (this one has loaded everything the other
 * tests use): neither databind's ObjectMapper nor JFR's event machinery, which were ~450 of the
 * ~4 000 classes of an idle gateway and part of its memory (docs/performance-history.md, "Idle
 * memory").
 */
class StartupClassesTest {

  @Test
  @Timeout(60)
  void aStartedGatewayLoadsNeitherObjectMapperNorJfrEvents(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("gateway.toml");
    Files.writeString(conf, """
        [server]
        host = "127.0.0.1"
        port = 0
        [[providers]]
        name = "p"
        type = "openai"
        base_url = "http://127.0.0.1:1/v1"
        models = ["m"]
        """);
    Path classes = dir.resolve("classes.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process gateway = new ProcessBuilder(List.of(java, "-Xlog:class+load=info:file=" + classes,
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "-conf", conf.toString()))
        .redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      while (line != null && !line.startsWith("oxllm listening on")) {
        line = out.readLine();
      }
      Matcher port = Pattern.compile(":(\\d+) ").matcher(String.valueOf(line));
      assertTrue(port.find(), "the gateway did not start: " + line);
      // what it loads to answer a request, here an error (the provider's port is closed), counts too
      HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port.group(1) + "/v1/chat/completions"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[]}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertTrue(answer.body().startsWith("{\"error\":{"), answer.statusCode() + " " + answer.body());
    } finally {
      gateway.destroy();
      gateway.waitFor(10, TimeUnit.SECONDS);
    }
    String loaded = Files.readString(classes);
    assertTrue(loaded.contains(" io.oxllm.http.HttpVerticle "), "the class log lists the gateway's classes");
    assertFalse(loaded.contains(" com.fasterxml.jackson.databind.ObjectMapper "), "ObjectMapper loaded");
    // Netty still asks whether JFR is there (a dozen classes); registering its events set up JFR's
    // whole metadata repository
    assertFalse(loaded.contains(" jdk.jfr.internal.MetadataRepository "), "JFR's event metadata loaded");
  }
}
