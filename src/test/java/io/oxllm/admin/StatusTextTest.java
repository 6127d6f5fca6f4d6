package io.oxllm.admin;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.config.ConfigProblem;
import io.oxllm.config.ConfigResult;
import io.oxllm.testing.GatewayHarness;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The /status text tables (also what {@code oxllm status} prints) stay readable in an 80-column
 * terminal with realistic content: long provider and model names, big counters, every circuit
 * state, and a rejected reload whose errors are the parser's own messages.
 */
class StatusTextTest {
  private static final int COLUMNS = 80;

  private static JsonObject provider(String name, String type, String state, int fails, boolean offline,
      String openUntil, String rateLimitedUntil, long requests, long successes, long failures) {
    return new JsonObject().put("name", name).put("type", type).put("base_url", "https://api.example.com/v1")
        .put("enabled", true).put("state", state).put("consecutive_failures", fails).put("open_until", openUntil)
        .put("rate_limited_until", rateLimitedUntil).put("offline", offline).put("in_flight", 12)
        .put("requests", requests).put("successes", successes).put("failures", failures)
        .put("input_tokens", 98_765_432L).put("output_tokens", 12_345_678L)
        .put("last_request_at", "2026-11-22T04:30:12.345Z");
  }

  private static JsonObject target(String provider, String model, String state) {
    return new JsonObject().put("provider", provider).put("model", model).put("state", state);
  }

  /** The problems the real parser reports for a config with several mistakes. */
  private static List<String> realProblems() {
    String bad = String.join("\n", "[server]", "prot = 8080", "[[providers]]", "name = \"openrouter-eu\"",
        "type = \"openai\"", "base_url = \"ftp://openrouter.example.com/api/v1\"",
        "[virtual_models]", "smart-coding-assistant = [{ provider = \"groq-llama-production\", model = \"x\" }]", "");
    ConfigResult r = GatewayHarness.parse(bad, Map.of());
    assertFalse(r.ok(), "the sample config must be invalid");
    return r.problems().stream().map(ConfigProblem::toString).toList();
  }

  private static JsonObject status() {
    JsonArray providers = new JsonArray()
        .add(provider("openrouter-production-eu-west-1", "openai", "half_open", 1234, false, null,
            null, 123_456_789L, 123_000_000L, 456_789L))
        .add(provider("groq-llama-production", "openai", "open", 17, false, "2026-11-22T04:45:12.345Z",
            null, 9_876_543L, 9_800_000L, 76_543L))
        .add(provider("local-ollama-gpu-box", "openai", "closed", 0, true, null,
            "2026-11-22T05:30:00.000Z", 42L, 41L, 1L))
        .add(provider("echo", "echo", "closed", 0, false, null, null, 3L, 3L, 0L));
    JsonObject vms = new JsonObject()
        .put("smart-coding-assistant-with-fallbacks", new JsonArray()
            .add(target("openrouter-production-eu-west-1", "meta-llama/llama-3.3-70b-instruct:free", "half_open"))
            .add(target("groq-llama-production", "llama-3.3-70b-versatile-128k-context", "rate_limited"))
            .add(target("local-ollama-gpu-box", "qwen2.5-coder:32b-instruct-q4_K_M", "offline")))
        .put("default", new JsonArray().add(target("echo", "echo", "closed")));
    JsonObject reload = new JsonObject().put("ok", false).put("at", "2026-11-22T04:31:00.123Z")
        .put("trigger", "file change").put("changed", false)
        .put("errors", new JsonArray(realProblems()))
        .put("restart_required", new JsonArray());
    return new JsonObject().put("uptime_secs", 987_654L).put("version", "0.1.0-SNAPSHOT")
        .put("config_path", "/home/operator/.config/oxllm/config.toml").put("ready", true).put("draining", false)
        .put("reload", reload).put("providers", providers).put("virtual_models", vms)
        .put("telemetry", new JsonObject().put("queue_depth", 0).put("exported", 123_456).put("dropped", 0));
  }

  /** Fails listing every line wider than the terminal, with its width. */
  private static void assertFits(String text) {
    List<String> wide = text.lines().filter(l -> l.length() > COLUMNS).map(l -> l.length() + ": " + l).toList();
    assertTrue(wide.isEmpty(), () -> wide.size() + " lines wider than " + COLUMNS + " columns:\n"
        + String.join("\n", wide) + "\n\nwhole:\n" + text);
  }

  @Test
  void everyLineFitsEightyColumns() {
    assertFits(StatusText.render(status()));
  }

  @Test
  void theKeyValuesAppear() {
    String text = StatusText.render(status());
    for (String want : List.of("0.1.0-SNAPSHOT", "/home/operator/.config/oxllm/config.toml", "REJECTED",
        "file change", "server.prot", "providers[0].base_url", "groq-llama", "half_open", "open", "offline",
        "rate_limited", "04:45:12", "123456789", "smart-coding", "meta-llama/llama", "echo")) {
      assertTrue(text.contains(want), () -> "'" + want + "' missing from:\n" + text);
    }
  }

  @Test
  void theProviderTableAloneFitsToo() {
    String table = StatusText.providers(status().getJsonArray("providers"));
    assertFits(table);
    assertTrue(table.contains("local-ollama"), table);
  }
}
