package io.oxllm.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Finds the config file (SPEC section 1): the {@code -conf} argument, else {@code $OXLLM_CONFIG},
 * else {@code ./conf/config.toml} when it exists, else {@code ~/.config/oxllm/config.toml}
 * (returned even when missing, so the caller can name the file it could not find). Paths are
 * returned as given (relative stays relative), so messages show what the user typed.
 */
public final class ConfigLocator {
  static final String ENV_VAR = "OXLLM_CONFIG";

  private ConfigLocator() {}

  /** Locates the config from the process's working directory and home ({@link #userHome}). */
  public static Path locate(String confArg, Function<String, String> env) {
    return locate(confArg, env, userHome(env));
  }

  /**
   * {@code ~}: {@code $HOME} when set, as a shell would expand it, else the JVM's
   * {@code user.home} (which comes from the user database and ignores {@code $HOME}).
   */
  static Path userHome(Function<String, String> env) {
    String home = env.apply("HOME");
    return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"));
  }

  /** Locates the config relative to the process's working directory. */
  public static Path locate(String confArg, Function<String, String> env, Path userHome) {
    return locate(confArg, env, userHome, Path.of(""));
  }

  /** Same, with an explicit working directory (for tests). Blank values count as absent. */
  public static Path locate(
      String confArg, Function<String, String> env, Path userHome, Path workingDir) {
    if (confArg != null && !confArg.isBlank()) {
      return Path.of(confArg);
    }
    String fromEnv = env.apply(ENV_VAR);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv);
    }
    Path local = workingDir.resolve("conf").resolve("config.toml");
    if (Files.isRegularFile(local)) {
      return local;
    }
    return userHome.resolve(".config").resolve("oxllm").resolve("config.toml");
  }

  /**
   * Where the search looked, when it found nothing ({@code found} is its last guess, missing, and
   * neither {@code -conf} nor {@code $OXLLM_CONFIG} named a file); else null. The message for the
   * missing file names only that last guess.
   */
  public static String searchedWithoutFinding(String confArg, Function<String, String> env, Path found) {
    String fromEnv = env.apply(ENV_VAR);
    boolean searched = (confArg == null || confArg.isBlank()) && (fromEnv == null || fromEnv.isBlank());
    return searched && !Files.exists(found)
        ? "no -conf given, $" + ENV_VAR + " not set, no conf/config.toml here, and not " + found
        : null;
  }
}
