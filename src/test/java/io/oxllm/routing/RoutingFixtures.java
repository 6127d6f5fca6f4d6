package io.oxllm.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.oxllm.config.ConfigParser;
import io.oxllm.config.ConfigResult;
import io.oxllm.config.GatewayConfig;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/** Builds real {@link GatewayConfig} snapshots from TOML for the routing tests. */
final class RoutingFixtures {
  private RoutingFixtures() {}

  static GatewayConfig config(String toml) {
    Map<?, ?> map;
    try {
      map = new TomlMapper().readValue(toml, Map.class);
    } catch (Exception e) {
      throw new AssertionError("test TOML does not parse: " + e.getMessage(), e);
    }
    @SuppressWarnings("unchecked")
    ConfigResult r = ConfigParser.parse(new JsonObject((Map<String, Object>) map), Map.<String, String>of()::get);
    assertEquals(List.of(), r.problems(), "test config must be valid");
    return r.config();
  }

  /** An OpenAI-type provider entry. */
  static String provider(String name, String models) {
    return provider(name, models, true);
  }

  static String provider(String name, String models, boolean enabled) {
    return "[[providers]]\n"
        + "name = \"" + name + "\"\n"
        + "type = \"openai\"\n"
        + "base_url = \"http://127.0.0.1:9000/" + name + "/v1\"\n"
        + "models = [" + models + "]\n"
        + "enabled = " + enabled + "\n";
  }
}
