package io.oxllm.testing;

/**
 * TOML snippets for gateway configs built around {@link TestUpstream}s: providers serving model
 * {@value #MODEL} with optional timeout overrides, and a virtual model chaining them in order.
 * Tables like {@code [routing]} must come before the first {@code [[providers]]} (or after the
 * virtual models table would swallow them), so put them first.
 */
public final class ChainToml {
  /** The model every provider here serves. */
  public static final String MODEL = "m";

  private ChainToml() {}

  /** A provider for {@code up}; {@code timeouts} like {@code "first_byte_ms = 400, idle_ms = 300"} or "". */
  public static String provider(String name, TestUpstream up, String timeouts) {
    String t = timeouts == null || timeouts.isBlank() ? "" : "timeouts = { " + timeouts + " }\n";
    return GatewayHarness.provider(name, up, MODEL) + t;
  }

  /** The built-in echo provider. */
  public static String echo(String name) {
    return "[[providers]]\nname = \"" + name + "\"\ntype = \"echo\"\n";
  }

  /** {@code [virtual_models]} with {@code name} = the given providers in order, each with model {@value #MODEL}. */
  public static String chain(String name, String... providers) {
    StringBuilder sb = new StringBuilder("[virtual_models]\n").append(name).append(" = [");
    for (int i = 0; i < providers.length; i++) {
      sb.append(i == 0 ? "" : ", ").append("{ provider = \"").append(providers[i])
          .append("\", model = \"").append(MODEL).append("\" }");
    }
    return sb.append("]\n").toString();
  }
}
