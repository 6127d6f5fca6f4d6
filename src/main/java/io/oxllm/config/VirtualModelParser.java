package io.oxllm.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the {@code [virtual_models]} table: name → ordered fallback chain of
 * {@code { provider, model }} targets, checked against the providers already parsed.
 */
final class VirtualModelParser {
  private VirtualModelParser() {}

  static Map<String, List<ChainTarget>> virtualModels(
      ConfigReader r, List<ProviderConfig> providers) {
    Map<String, ProviderConfig> byName = new LinkedHashMap<>();
    for (ProviderConfig p : providers) {
      if (p.name() != null) {
        byName.putIfAbsent(p.name(), p); // duplicates are reported by ProviderParser
      }
    }
    Map<String, List<ChainTarget>> out = new LinkedHashMap<>();
    // Keys are virtual model names chosen by the user: no unknown-key check (no finish()).
    for (Map.Entry<String, Object> e : r.json()) {
      String name = e.getKey();
      if (name.isEmpty()) {
        r.problem(name, "virtual model name must not be empty");
      } else if (name.indexOf('/') >= 0) {
        r.problem(name, "virtual model name must not contain '/' (it would shadow the"
            + " provider/model syntax)");
      } else if (ModelNames.hasControlCharacter(name)) {
        r.problem(name, ModelNames.CONTROL_PROBLEM);
      }
      if (!(e.getValue() instanceof JsonArray chain)) {
        r.problem(name, "must be an array of { provider = \"...\", model = \"...\" } tables, got "
            + ConfigReader.describe(e.getValue()));
        continue;
      }
      out.put(name, chain(chain, r.pathOf(name), byName, r.problems()));
    }
    return out;
  }

  private static List<ChainTarget> chain(
      JsonArray chain, String path, Map<String, ProviderConfig> byName,
      List<ConfigProblem> problems) {
    List<ChainTarget> targets = new ArrayList<>();
    if (chain.isEmpty()) {
      problems.add(new ConfigProblem(path, "chain is empty: list at least one"
          + " { provider = \"...\", model = \"...\" }"));
      return targets;
    }
    Map<ChainTarget, Integer> seen = new HashMap<>();
    for (int i = 0; i < chain.size(); i++) {
      String entryPath = ConfigReader.index(path, i);
      Object entry = chain.getValue(i);
      if (!(entry instanceof JsonObject obj)) {
        problems.add(new ConfigProblem(entryPath, "must be a table { provider = \"...\","
            + " model = \"...\" }, got " + ConfigReader.describe(entry)));
        continue;
      }
      ConfigReader er = new ConfigReader(obj, entryPath, problems);
      String provider = er.requiredString("provider");
      String model = er.requiredString("model");
      if (model != null && ModelNames.hasControlCharacter(model)) {
        er.problem("model", ModelNames.CONTROL_PROBLEM);
      }
      er.finish();
      if (provider != null) {
        ProviderConfig p = byName.get(provider);
        if (p == null) {
          er.problem("provider", "unknown provider \"" + provider + "\"" + known(byName));
        } else if (!p.enabled()) {
          er.problem("provider", "provider \"" + provider + "\" is disabled (enabled = false)");
        }
      }
      if (provider != null && model != null) {
        ChainTarget t = new ChainTarget(provider, model);
        Integer first = seen.putIfAbsent(t, i);
        if (first != null) {
          problems.add(new ConfigProblem(entryPath, "target " + provider + "/" + model
              + " appears twice in the chain (also at [" + first + "])"));
        }
        targets.add(t);
      }
    }
    return targets;
  }

  private static String known(Map<String, ProviderConfig> byName) {
    return byName.isEmpty() ? "" : " (providers: " + String.join(", ", byName.keySet()) + ")";
  }
}
