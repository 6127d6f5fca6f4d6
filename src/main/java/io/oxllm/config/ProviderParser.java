package io.oxllm.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds the {@code [[providers]]} entries. An entry with problems is still returned (with what
 * could be read) so that later checks, such as chains naming it, do not report follow-on noise;
 * the whole config is rejected anyway when any problem exists.
 */
final class ProviderParser {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

  private ProviderParser() {}

  static List<ProviderConfig> providers(ConfigReader root, Timeouts globalTimeouts) {
    List<ProviderConfig> out = new ArrayList<>();
    Object v = root.raw("providers");
    if (v != null && !(v instanceof JsonArray)) {
      root.problem("providers", "must be an array of tables ([[providers]]), got "
          + ConfigReader.describe(v));
      v = null;
    }
    JsonArray arr = v == null ? new JsonArray() : (JsonArray) v;
    Map<String, Integer> seen = new HashMap<>();
    boolean anyEnabled = false;
    for (int i = 0; i < arr.size(); i++) {
      String path = ConfigReader.index(root.pathOf("providers"), i);
      Object entry = arr.getValue(i);
      if (!(entry instanceof JsonObject obj)) {
        root.problems().add(new ConfigProblem(path, "must be a table, got "
            + ConfigReader.describe(entry)));
        continue;
      }
      ProviderConfig p = provider(new ConfigReader(obj, path, root.problems()), globalTimeouts);
      if (p.name() != null) {
        Integer first = seen.putIfAbsent(p.name(), i);
        if (first != null) {
          root.problems().add(new ConfigProblem(ConfigReader.join(path, "name"),
              "duplicate provider name \"" + p.name() + "\" (already used by providers["
                  + first + "])"));
        }
      }
      anyEnabled |= p.enabled();
      out.add(p);
    }
    if (!anyEnabled) {
      root.problems().add(new ConfigProblem(root.pathOf("providers"), arr.isEmpty()
          ? "no provider configured: add at least one [[providers]] entry"
          : "every provider is disabled: at least one needs enabled = true"));
    }
    return out;
  }

  private static ProviderConfig provider(ConfigReader r, Timeouts globalTimeouts) {
    String name = r.requiredString("name");
    if (name != null && !NAME.matcher(name).matches()) {
      r.problem("name", "must match [A-Za-z0-9._-]+, got \"" + name + "\"");
    }
    String typeName = r.string("type", "openai");
    ProviderType type = null;
    try {
      type = ProviderType.valueOf(typeName.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      r.problem("type", "must be one of openai, echo; got \"" + typeName + "\"");
    }
    UpstreamUrl baseUrl = null;
    String apiKey = "";
    if (type == ProviderType.ECHO) {
      // The echo provider answers locally: a URL or key would suggest it calls out.
      if (r.has("base_url")) {
        r.problem("base_url", "not allowed for type echo (the echo provider is built in)");
      }
      if (r.has("api_key")) {
        r.problem("api_key", "not allowed for type echo (the echo provider is built in)");
      }
    } else {
      baseUrl = baseUrl(r, type);
      apiKey = r.string("api_key", "");
      String problem = HeaderSyntax.tokenProblem(apiKey);
      if (problem != null) {
        r.problem("api_key", problem);
      }
    }
    List<String> defModels = type == ProviderType.ECHO ? List.of("echo") : List.of();
    List<String> models = models(r, defModels);
    boolean enabled = r.bool("enabled", true);
    Map<String, String> headers = headers(r.table("headers"), !apiKey.isEmpty());
    int maxConnections = r.intValue("max_connections", 256, 1, 100_000);
    Timeouts timeouts = SectionParsers.timeouts(r.table("timeouts"), globalTimeouts);
    // for a server that refuses fields it does not know, stream_options among them
    Boolean injectStreamUsage = r.has("inject_stream_usage") ? r.bool("inject_stream_usage", true) : null;
    r.finish();
    return new ProviderConfig(name, type, baseUrl, apiKey, models, enabled, headers,
        maxConnections, timeouts, injectStreamUsage);
  }

  private static UpstreamUrl baseUrl(ConfigReader r, ProviderType type) {
    if (!r.has("base_url")) {
      if (type != null) {
        r.problem("base_url", "is required for type " + type.configName());
      }
      return null;
    }
    String url = r.string("base_url", null);
    if (url == null) {
      return null;
    }
    try {
      return UpstreamUrl.parse(url);
    } catch (IllegalArgumentException e) {
      r.problem("base_url", "\"" + UpstreamUrl.forMessage(url) + "\" " + e.getMessage());
      return null;
    }
  }

  private static List<String> models(ConfigReader r, List<String> def) {
    List<String> models = r.stringList("models", def, true);
    Set<String> unique = new LinkedHashSet<>();
    for (int i = 0; i < models.size(); i++) {
      String m = models.get(i);
      if (!unique.add(m)) {
        r.problem("models", i, "\"" + m + "\" is listed before, at models[" + models.indexOf(m) + "]");
      } else if (ModelNames.hasControlCharacter(m)) {
        r.problem("models", i, ModelNames.CONTROL_PROBLEM);
      }
    }
    return new ArrayList<>(unique);
  }

  // Keys are header names chosen by the user: no unknown-key check (no finish()).
  private static Map<String, String> headers(ConfigReader r, boolean hasApiKey) {
    Map<String, String> out = new LinkedHashMap<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Map.Entry<String, Object> e : r.json()) {
      String key = e.getKey();
      Object v = e.getValue();
      String reserved = ProviderHeaders.refusal(key, hasApiKey);
      if (!HeaderSyntax.validName(key)) {
        r.problem(key, "is not a valid HTTP header name");
      } else if (reserved != null) {
        r.problem(key, reserved);
      } else if (!seen.add(key.toLowerCase(java.util.Locale.ROOT))) {
        r.problem(key, "names a header given already (names are case-insensitive): only one would be sent");
      } else if (!(v instanceof String s)) {
        r.problem(key, "must be a string, got " + ConfigReader.describe(v));
      } else if (!HeaderSyntax.validValue(s)) {
        r.problem(key, "must not contain CR, LF or NUL");
      } else if (!s.chars().allMatch(c -> c == '\t' || (c >= 0x20 && c < 0x7f))) {
        r.problem(key, "must be printable ASCII: a header carries bytes, and other characters would go out garbled");
      } else {
        out.put(key, s);
      }
    }
    return out;
  }
}
