package io.oxllm.config;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
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
  private static final int FRAGMENT = 6; // the shortest run of a variable's text hidden in a message

  private ConfigParser() {}

  /**
   * Parses {@code raw} (as produced by {@link TomlConfigProcessor}); {@code env} looks up
   * environment variables ({@code System::getenv} in production, a map in tests).
   */
  public static ConfigResult parse(JsonObject raw, Function<String, String> env) {
    if (raw != null && raw.getValue(ConfigFileStore.PROBLEM_KEY) instanceof String problem) {
      return ConfigResult.invalid(List.of(new ConfigProblem("file", problem)));
    }
    if (raw != null && raw.containsKey(TomlConfigProcessor.SYNTAX_ERROR_KEY)) {
      return ConfigResult.invalid(List.of(
          new ConfigProblem("toml", String.valueOf(raw.getValue(TomlConfigProcessor.SYNTAX_ERROR_KEY)))));
    }
    List<ConfigProblem> envProblems = new ArrayList<>();
    Map<String, EnvExpander.FromEnv> fromEnv = new HashMap<>();
    JsonObject json = EnvExpander.expand(raw == null ? new JsonObject() : raw, env, envProblems, fromEnv);

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
    problems.stream().filter(p -> !unexpanded.contains(p.path())).map(p -> withoutEnvValues(p, fromEnv))
        .forEach(all::add);
    if (!all.isEmpty()) {
      return ConfigResult.invalid(all);
    }
    return ConfigResult.valid(new GatewayConfig(server, auth, routing, timeouts, breaker,
        telemetry, providers, virtualModels));
  }

  /**
   * What validation says about a value that took text from the environment shows the value as
   * written ({@code "${SURL}"}), never what the variable holds: it may be a secret, and problems
   * reach the log and the reload answer. Where a message would still show a variable's value (a
   * part of it, say), that text becomes "…" and the message names where the value came from.
   */
  static ConfigProblem withoutEnvValues(ConfigProblem p, Map<String, EnvExpander.FromEnv> fromEnv) {
    String message = p.message();
    for (Map.Entry<String, EnvExpander.FromEnv> e : fromEnv.entrySet()) {
      String path = e.getKey();
      EnvExpander.FromEnv v = e.getValue();
      // the value's own problem, one of a part of it, or one about a whole the value is part of
      // ("models lists "X" more than once", "target A/B appears twice")
      boolean own = p.path().equals(path) || p.path().startsWith(path + ".") || p.path().startsWith(path + "[")
          || path.startsWith(p.path() + ".") || path.startsWith(p.path() + "[");
      if (!own) {
        continue;
      }
      String asWritten = replaceWhole(message, v.expanded(), v.raw());
      String shown = asWritten;
      for (String value : v.values()) {
        shown = hideFragments(shown, value);
      }
      message = shown.equals(asWritten) ? shown
          : shown + " (the value is from " + v.raw() + "; the environment's text is not shown)";
    }
    return message.equals(p.message()) ? p : new ConfigProblem(p.path(), message);
  }

  /**
   * {@code message} with each occurrence of {@code value} that stands whole (no letter or digit
   * just before or after it) replaced by {@code replacement}: a short value's letters inside other
   * words are left alone ("du${P}licate" for a provider named "p").
   */
  static String replaceWhole(String message, String value, String replacement) {
    if (value.isEmpty()) {
      return message;
    }
    StringBuilder out = new StringBuilder(message.length());
    int from = 0;
    for (int at = message.indexOf(value); at >= 0; at = message.indexOf(value, at + 1)) {
      int after = at + value.length();
      boolean whole = (at == 0 || !Character.isLetterOrDigit(message.charAt(at - 1)))
          && (after == message.length() || !Character.isLetterOrDigit(message.charAt(after)));
      if (whole && at >= from) {
        out.append(message, from, at).append(replacement);
        from = after;
      }
    }
    return out.append(message, from, message.length()).toString();
  }

  /**
   * {@code message} with every run of {@value #FRAGMENT} or more characters that also occurs in
   * {@code value} replaced by "…": messages may show a value cut short (a URL without its query,
   * a long string truncated), which a search for the whole value misses.
   */
  static String hideFragments(String message, String value) {
    StringBuilder out = new StringBuilder(message.length());
    int i = 0;
    while (i < message.length()) {
      int end = i;
      while (end < message.length() && value.contains(message.substring(i, end + 1))) {
        end++;
      }
      // a value shorter than a fragment is hidden where it stands whole (replaceWhole): its letters
      // inside other words ("duplicate" for "p") are not its text
      if (end - i >= FRAGMENT) {
        out.append('…');
        i = end;
      } else {
        out.append(message.charAt(i++));
      }
    }
    return out.toString();
  }
}
