package io.oxllm.config;

import java.util.List;

/**
 * The outcome of reading a config: either a {@link GatewayConfig} and no problems, or every
 * problem found and a null config (an invalid config is rejected as a whole, never half applied).
 */
public record ConfigResult(GatewayConfig config, List<ConfigProblem> problems) {

  public ConfigResult {
    problems = List.copyOf(problems);
    if (problems.isEmpty() == (config == null)) {
      throw new IllegalArgumentException("a config result has either a config or problems");
    }
  }

  /** A valid result. */
  public static ConfigResult valid(GatewayConfig config) {
    return new ConfigResult(config, List.of());
  }

  /** An invalid result; {@code problems} must not be empty. */
  public static ConfigResult invalid(List<ConfigProblem> problems) {
    return new ConfigResult(null, problems);
  }

  /** True when the config is valid (no problems). */
  public boolean ok() {
    return problems.isEmpty();
  }
}
