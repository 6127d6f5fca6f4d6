package io.oxllm.routing;

import static io.oxllm.routing.RoutingFixtures.config;
import static io.oxllm.routing.RoutingFixtures.provider;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.oxllm.config.GatewayConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteTableTest {

  /** a, b, c enabled; off disabled. */
  private static final String BASE = provider("a", "\"gpt-4o\", \"shared\", \"smart\"")
      + provider("b", "\"shared\", \"llama3\"")
      + provider("off", "\"shared\", \"only-off\"", false)
      + provider("c", "\"shared\", \"c-only\"")
      + "[virtual_models]\n"
      + "smart = [ { provider = \"b\", model = \"llama3\" }, { provider = \"a\", model = \"gpt-4o\" } ]\n"
      + "fast = [ { provider = \"c\", model = \"c-fast\" } ]\n";

  private static final GatewayConfig CFG = config(BASE);
  private static final RouteTable TABLE = RouteTable.build(CFG);

  /** The plan's targets as "provider:model". */
  private static List<String> targets(RoutePlan plan) {
    assertNotNull(plan);
    return plan.targets().stream().map(t -> t.providerName() + ":" + t.upstreamModel()).toList();
  }

  @Test
  void virtualModelResolvesToItsChainInOrder() {
    RoutePlan plan = TABLE.resolve("smart");
    assertEquals(List.of("b:llama3", "a:gpt-4o"), targets(plan));
    assertEquals("smart", plan.requestedModel());
    assertSame(CFG, plan.config());
    assertEquals(List.of("c:c-fast"), targets(TABLE.resolve("fast")));
  }

  @Test
  void virtualModelWinsOverAServedModelOfTheSameName() {
    // provider a lists "smart" too: the virtual chain still wins.
    assertEquals(List.of("b:llama3", "a:gpt-4o"), targets(TABLE.resolve("smart")));
  }

  @Test
  void servedModelResolvesToItsProvidersInConfigOrder() {
    assertEquals(List.of("a:gpt-4o"), targets(TABLE.resolve("gpt-4o")));
    assertEquals(List.of("b:llama3"), targets(TABLE.resolve("llama3")));
    // in a, b, off (disabled) and c: the disabled one is left out, order is the config's
    assertEquals(List.of("a:shared", "b:shared", "c:shared"), targets(TABLE.resolve("shared")));
    assertEquals("shared", TABLE.resolve("shared").requestedModel());
  }

  @Test
  void servedModelWinsOverProviderSlashModel() {
    String toml = provider("p", "\"x\"") + provider("q", "\"p/x\"");
    RouteTable t = RouteTable.build(config(toml));
    // "p/x" is a model q serves by that exact name: it is not provider p, model x.
    assertEquals(List.of("q:p/x"), targets(t.resolve("p/x")));
    assertEquals(List.of("p:y"), targets(t.resolve("p/y")));
  }

  @Test
  void providerSlashModelPassesTheModelOn() {
    assertEquals(List.of("a:anything"), targets(TABLE.resolve("a/anything")));
    assertEquals(List.of("c:gpt-4o"), targets(TABLE.resolve("c/gpt-4o")));
    // only the first slash separates the provider
    assertEquals(List.of("a:meta-llama/Llama-3.2-1B"), targets(TABLE.resolve("a/meta-llama/Llama-3.2-1B")));
    assertEquals(List.of("b:x/"), targets(TABLE.resolve("b/x/")));
    assertEquals("a/anything", TABLE.resolve("a/anything").requestedModel());
    assertSame(CFG, TABLE.resolve("a/anything").config());
  }

  @Test
  void disabledProviderIsNeverATarget() {
    assertNull(TABLE.resolve("only-off"));
    assertNull(TABLE.resolve("off/only-off"));
    assertNull(TABLE.resolve("off/x"));
  }

  @Test
  void unknownNamesResolveToNothing() {
    assertNull(TABLE.resolve("nope"));
    assertNull(TABLE.resolve("a/"));
    assertNull(TABLE.resolve("/x"));
    assertNull(TABLE.resolve("/"));
    assertNull(TABLE.resolve("//"));
    assertNull(TABLE.resolve("zzz/gpt-4o"));
    assertNull(TABLE.resolve("GPT-4O"), "names are case-sensitive");
    assertNull(TABLE.resolve("SMART"));
    assertNull(TABLE.resolve("A/x"), "provider names are case-sensitive");
    assertNull(TABLE.resolve(""));
  }

  @Test
  void echoProviderServesEcho() {
    RouteTable t = RouteTable.build(config("[[providers]]\nname = \"echo\"\ntype = \"echo\"\n"));
    assertEquals(List.of("echo:echo"), targets(t.resolve("echo")));
    assertEquals(List.of("echo:whatever"), targets(t.resolve("echo/whatever")));
  }

  @Test
  void modelsJsonListsVirtualThenServedModels() {
    JsonObject models = new JsonObject(TABLE.modelsJson());
    assertEquals("list", models.getString("object"));
    JsonArray data = models.getJsonArray("data");
    List<String> ids = data.stream().map(o -> ((JsonObject) o).getString("id")).toList();
    List<String> owners = data.stream().map(o -> ((JsonObject) o).getString("owned_by")).toList();
    // virtual models first (owned by oxllm), then served models owned by the first enabled
    // provider in config order; no duplicates, nothing only a disabled provider serves.
    assertEquals(List.of("smart", "fast", "gpt-4o", "shared", "llama3", "c-only"), ids);
    assertEquals(List.of("oxllm", "oxllm", "a", "a", "b", "c"), owners);
    for (Object o : data) {
      JsonObject m = (JsonObject) o;
      assertEquals("model", m.getString("object"));
      assertNotNull(m.getValue("created"));
      assertEquals(4, m.size(), m.encode());
    }
  }

  @Test
  void modelsJsonOwnerSkipsADisabledFirstProvider() {
    String toml = provider("first", "\"m\"", false) + provider("second", "\"m\"") + provider("third", "\"m\"");
    JsonArray data = new JsonObject(RouteTable.build(config(toml)).modelsJson()).getJsonArray("data");
    assertEquals(1, data.size());
    assertEquals("m", data.getJsonObject(0).getString("id"));
    assertEquals("second", data.getJsonObject(0).getString("owned_by"));
  }

  @Test
  void modelsJsonIsBuiltOncePerTable() {
    assertSame(TABLE.modelsJson(), TABLE.modelsJson());
    assertSame(CFG, TABLE.config());
  }

  @Test
  void resolvingIsStableForPrecomputedPlans() {
    assertSame(TABLE.resolve("smart"), TABLE.resolve("smart"));
    assertSame(TABLE.resolve("shared"), TABLE.resolve("shared"));
  }
}
