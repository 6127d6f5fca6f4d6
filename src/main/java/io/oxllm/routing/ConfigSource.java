package io.oxllm.routing;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * Where the config came from, so the routing verticle can re-read it: the file (null when the
 * gateway was started from an in-memory config, as some tests do) and the environment lookup.
 */
public record ConfigSource(Path path, Function<String, String> env) {
  public static ConfigSource none() {
    return new ConfigSource(null, k -> null);
  }
}
