package io.oxllm.routing;

import io.oxllm.config.GatewayConfig;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Where the config came from, so the routing verticle can re-read it: the file (null when the
 * gateway was started from an in-memory config, as some tests do), the environment lookup, and
 * what the command line sets over the file ({@code -instances}), applied to every re-read as it
 * was at the start: without it, a reload compared the file's instances with the flag's and
 * listed a restart as required for ever (an audit).
 */
public record ConfigSource(Path path, Function<String, String> env, UnaryOperator<GatewayConfig> commandLine) {
  public ConfigSource(Path path, Function<String, String> env) {
    this(path, env, UnaryOperator.identity());
  }

  public static ConfigSource none() {
    return new ConfigSource(null, k -> null);
  }
}
