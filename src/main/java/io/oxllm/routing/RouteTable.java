package io.oxllm.routing;

import io.oxllm.config.ChainTarget;
import io.oxllm.config.GatewayConfig;
import io.oxllm.config.ProviderConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Model name → ordered targets, precomputed once per config snapshot so that resolving a model on
 * the request path is one map lookup. Resolution order (SPEC section 3): a virtual model, then a
 * model some enabled provider serves (providers in config order), then {@code provider/model}.
 */
public final class RouteTable {
  private final GatewayConfig config;
  private final Map<String, RoutePlan> plans;
  private final Map<String, ProviderConfig> enabledByName;
  private final Buffer modelsJson;
  private final Map<String, Buffer> modelJson = new HashMap<>();

  private RouteTable(GatewayConfig config) {
    this.config = config;
    this.enabledByName = new HashMap<>();
    for (ProviderConfig p : config.providers()) {
      if (p.enabled()) {
        enabledByName.put(p.name(), p);
      }
    }
    Map<String, List<Target>> byModel = new LinkedHashMap<>();
    config.virtualModels().forEach((name, chain) -> {
      List<Target> targets = new ArrayList<>(chain.size());
      for (ChainTarget step : chain) {
        ProviderConfig p = enabledByName.get(step.provider());
        if (p != null) {
          targets.add(new Target(p, step.model()));
        }
      }
      byModel.put(name, targets);
    });
    Map<String, String> servedOwner = new LinkedHashMap<>();
    for (ProviderConfig p : config.providers()) {
      if (!p.enabled()) {
        continue;
      }
      for (String model : p.models()) {
        servedOwner.putIfAbsent(model, p.name());
        if (!config.virtualModels().containsKey(model)) {
          byModel.computeIfAbsent(model, k -> new ArrayList<>()).add(new Target(p, model));
        }
      }
    }
    this.plans = new HashMap<>();
    byModel.forEach((model, targets) -> plans.put(model, new RoutePlan(config, model, targets)));
    this.modelsJson = buildModelsJson(config, servedOwner);
  }

  public static RouteTable build(GatewayConfig config) {
    return new RouteTable(config);
  }

  public GatewayConfig config() {
    return config;
  }

  /** The model names this snapshot serves by name: its virtual models and the models its providers list. */
  public Set<String> modelNames() {
    return plans.keySet();
  }

  /** The plan for a requested model name, or null when the name resolves to nothing. */
  public RoutePlan resolve(String model) {
    RoutePlan plan = plans.get(model);
    if (plan != null) {
      return plan;
    }
    int slash = model.indexOf('/');
    if (slash > 0 && slash < model.length() - 1) {
      ProviderConfig p = enabledByName.get(model.substring(0, slash));
      if (p != null) {
        return new RoutePlan(config, model, List.of(new Target(p, model.substring(slash + 1))));
      }
    }
    return null;
  }

  /**
   * The body of {@code GET /v1/models/{id}} (the SDKs' {@code models.retrieve}): a listed model,
   * or a {@code provider/model} name this snapshot resolves (owned by that provider); else null.
   */
  public Buffer modelJson(String id) {
    Buffer listed = modelJson.get(id);
    if (listed != null || plans.containsKey(id)) {
      return listed;
    }
    RoutePlan plan = resolve(id);
    return plan == null ? null : model(id, plan.targets().get(0).providerName()).toBuffer();
  }

  /** The body of {@code GET /v1/models} for this snapshot, built once. */
  public Buffer modelsJson() {
    return modelsJson;
  }

  private Buffer buildModelsJson(GatewayConfig config, Map<String, String> servedOwner) {
    JsonArray data = new JsonArray();
    for (String name : config.virtualModels().keySet()) {
      data.add(model(name, "oxllm"));
    }
    servedOwner.forEach((name, owner) -> {
      if (!config.virtualModels().containsKey(name)) {
        data.add(model(name, owner));
      }
    });
    for (Object m : data) {
      JsonObject model = (JsonObject) m;
      modelJson.put(model.getString("id"), model.toBuffer());
    }
    return new JsonObject().put("object", "list").put("data", data).toBuffer();
  }

  private static JsonObject model(String id, String owner) {
    return new JsonObject().put("id", id).put("object", "model").put("created", 0).put("owned_by", owner);
  }
}
