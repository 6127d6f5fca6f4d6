package io.oxllm.config;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns a parsed TOML document into a validated {@link GatewayConfig}: expands environment
 * references ({@link EnvExpander}), applies every default of SPEC section 2 and collects every
 * problem at once, each with its path ({@code server.port}, {@code providers[0].base_url},
 * {@code virtual_models.smart[1].provider}). Pure: no I/O, the environment comes in as a function.
 */
public final class ConfigParser {
  private ConfigParser() {}

  /**
   * Parses {@code raw} (as produced by {@link TomlConfigProcessor}); {@code env} looks up
   * environment variables ({@code System::getenv} in production, a map in tests).
   */
  public static ConfigResult parse(JsonObject raw, Function<String, String> env) {
    if (raw != null && raw.containsKey(TomlConfigProcessor.SYNTAX_ERROR_KEY)) {
      return ConfigResult.invalid(List.of(
          new ConfigProblem("toml", String.valueOf(raw.getValue(TomlConfigProcessor.SYNTAX_ERROR_KEY)))));
    }
    List<ConfigProblem> envProblems = new ArrayList<>();
    JsonObject json = EnvExpander.expand(raw == null ? new JsonObject() : raw, env, envProblems);

    List<ConfigProblem> problems = new ArrayList<>();
    ConfigReader root = new ConfigReader(json, "", problems);
    ServerConfig server = SectionParsers.server(root.table("server"));
    AuthConfig auth = SectionParsers.auth(root.table("auth"));
    RoutingConfig routing = SectionParsers.routing(root.table("routing"));
    Timeouts timeouts =
        SectionParsers.timeouts(root.table("timeouts"), SectionParsers.DEFAULT_TIMEOUTS);
    BreakerConfig breaker = SectionParsers.breaker(root.table("breaker"));
    TelemetryConfig telemetry = SectionParsers.telemetry(root.table("telemetry"));
    List<ProviderConfig> providers = ProviderParser.providers(root, timeouts);
    Map<String, List<ChainTarget>> virtualModels =
        VirtualModelParser.virtualModels(root.table("virtual_models"), providers);
    root.finish();

    // A value whose variable is missing was left unexpanded; what validation then says about that
    // same value ("not a URL", "unknown provider") is noise next to the real cause.
    Set<String> unexpanded = new HashSet<>();
    envProblems.forEach(p -> unexpanded.add(p.path()));
    List<ConfigProblem> all = new ArrayList<>(envProblems);
    problems.stream().filter(p -> !unexpanded.contains(p.path())).forEach(all::add);
    if (!all.isEmpty()) {
      return ConfigResult.invalid(all);
    }
    return ConfigResult.valid(new GatewayConfig(server, auth, routing, timeouts, breaker,
        telemetry, providers, virtualModels));
  }
}
