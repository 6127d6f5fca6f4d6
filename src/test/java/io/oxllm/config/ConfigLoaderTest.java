package io.oxllm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class ConfigLoaderTest {
  @TempDir Path tmp;

  private static void load(Vertx vertx, VertxTestContext ctx, Path path,
      Map<String, String> env, Consumer<ConfigResult> check) {
    ConfigLoader.load(vertx, path, env::get)
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          check.accept(r);
          ctx.completeNow();
        })));
  }

  @Test
  void loadsValidFile(Vertx vertx, VertxTestContext ctx) throws Exception {
    Path file = Files.writeString(tmp.resolve("ok.toml"), """
        [server]
        port = 9090
        [[providers]]
        name = "up"
        base_url = "http://127.0.0.1:1/v1"
        api_key = "${KEY}"
        [[providers]]
        name = "echo"
        type = "echo"
        [virtual_models]
        default = [{ provider = "up", model = "m" }, { provider = "echo", model = "echo" }]
        """);
    load(vertx, ctx, file, Map.of("KEY", "k1"), r -> {
      assertEquals(List.of(), r.problems());
      assertEquals(9090, r.config().server().port());
      assertEquals("k1", r.config().provider("up").apiKey());
      assertEquals(2, r.config().virtualModels().get("default").size());
    });
  }

  @Test
  void missingFileIsAProblemNotAFailure(Vertx vertx, VertxTestContext ctx) {
    Path file = tmp.resolve("absent.toml");
    load(vertx, ctx, file, Map.of(), r -> {
      assertEquals(1, r.problems().size());
      ConfigProblem p = r.problems().get(0);
      assertEquals("file", p.path());
      assertEquals(file + " does not exist", p.message());
    });
  }

  @Test
  void aFileOverTheBoundIsAProblemReadNoFurther(Vertx vertx, VertxTestContext ctx) throws Exception {
    // a 100 MB file ended the gateway on a reload (OutOfMemoryError with the shipped heap)
    Path file = tmp.resolve("huge.toml");
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(ConfigFileStore.MAX_BYTES + 1); // sparse: no disk, and nothing to read but the bound
    }
    String expected = file + " is " + (ConfigFileStore.MAX_BYTES + 1) + " bytes; a config file may be at most "
        + ConfigFileStore.MAX_BYTES;
    assertEquals(List.of(new ConfigProblem("file", expected)), ConfigLoader.readNow(file, Map.<String, String>of()::get).problems());
    load(vertx, ctx, file, Map.of(), r -> assertEquals(List.of(new ConfigProblem("file", expected)), r.problems()));
  }

  @Test
  void aDeviceIsReadOnlyToTheBound() {
    ConfigResult r = ConfigLoader.readNow(Path.of("/dev/zero"), Map.<String, String>of()::get);
    assertEquals(List.of(new ConfigProblem("file", "/dev/zero holds more than " + ConfigFileStore.MAX_BYTES
        + " bytes, the most a config file may be")), r.problems());
  }

  @Test
  void directoryIsAFileProblem(Vertx vertx, VertxTestContext ctx) {
    load(vertx, ctx, tmp, Map.of(), r -> {
      assertEquals(List.of("file"), r.problems().stream().map(ConfigProblem::path).toList());
    });
  }

  @Test
  void syntaxErrorIsATomlProblemWithLine(Vertx vertx, VertxTestContext ctx) throws Exception {
    Path file = Files.writeString(tmp.resolve("bad.toml"), """
        [server]
        port = 8080

        [[providers]]
        name = "echo
        type = "echo"
        """);
    load(vertx, ctx, file, Map.of(), r -> {
      assertEquals(1, r.problems().size());
      ConfigProblem p = r.problems().get(0);
      assertEquals("toml", p.path());
      assertTrue(p.message().startsWith("line 5: "), p.message());
    });
  }

  @Test
  void validationProblemsComeBackWithPaths(Vertx vertx, VertxTestContext ctx) throws Exception {
    Path file = Files.writeString(tmp.resolve("invalid.toml"), """
        [server]
        port = "abc"
        [[providers]]
        name = "echo"
        type = "echo"
        """);
    load(vertx, ctx, file, Map.of(), r -> assertEquals(List.of("server.port"),
        r.problems().stream().map(ConfigProblem::path).toList()));
  }

  @Test
  void shippedConfigLoadsWithoutProblems(Vertx vertx, VertxTestContext ctx) {
    load(vertx, ctx, Path.of("conf/config.toml"), Map.of(), r -> {
      assertEquals(List.of(), r.problems());
      GatewayConfig c = r.config();
      assertEquals(List.of("ollama", "vllm", "echo"),
          c.providers().stream().map(ProviderConfig::name).toList());
      List<ChainTarget> chain = c.virtualModels().get("default");
      assertEquals(List.of("ollama", "vllm", "echo"),
          chain.stream().map(ChainTarget::provider).toList());
      assertEquals(new Timeouts(1000, 30000, 60000, 600000), c.provider("ollama").timeouts());
      assertEquals("", c.provider("ollama").apiKey());
      assertEquals(8080, c.server().port());
    });
  }

  @Test
  void shippedCloudExampleLoadsWithKeysSet(Vertx vertx, VertxTestContext ctx) {
    Map<String, String> env = Map.of("OPENAI_API_KEY", "sk-o", "GROQ_API_KEY", "gsk",
        "OPENROUTER_API_KEY", "sk-or");
    load(vertx, ctx, Path.of("conf/cloud.example.toml"), env, r -> {
      assertEquals(List.of(), r.problems());
      GatewayConfig c = r.config();
      assertEquals("sk-o", c.provider("openai").apiKey());
      assertEquals("api.groq.com", c.provider("groq").baseUrl().host());
      assertEquals("/api/v1", c.provider("openrouter").baseUrl().basePath());
      assertTrue(c.virtualModels().keySet().containsAll(List.of("fast", "smart")));
      List<ChainTarget> fast = c.virtualModels().get("fast");
      assertEquals("echo", fast.get(fast.size() - 1).provider());
    });
  }

  @Test
  void cloudExampleWithoutKeysNamesEachMissingVariable(Vertx vertx, VertxTestContext ctx) {
    load(vertx, ctx, Path.of("conf/cloud.example.toml"), Map.of(), r -> {
      assertEquals(List.of("providers[0].api_key", "providers[1].api_key",
          "providers[2].api_key"), r.problems().stream().map(ConfigProblem::path).toList());
      assertTrue(r.problems().get(2).message().contains("OPENROUTER_API_KEY"));
    });
  }

  @Test
  void retrieverOptionsHaveOneExplicitTomlFileStore() {
    ConfigRetrieverOptions o = ConfigLoader.retrieverOptions(Path.of("conf/config.toml"), 2000);
    assertEquals(false, o.isIncludeDefaultStores());
    assertEquals(2000, o.getScanPeriod());
    assertEquals(1, o.getStores().size());
    ConfigStoreOptions s = o.getStores().get(0);
    assertEquals(ConfigFileStore.TYPE, s.getType()); // ours: a regular file of at most 1 MiB
    assertEquals("toml", s.getFormat());
    assertEquals(false, s.isOptional());
    assertEquals(Path.of("conf/config.toml").toAbsolutePath().toString(),
        s.getConfig().getString("path"));
  }
}
