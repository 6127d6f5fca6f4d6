package io.oxllm.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * Reads a TOML config file through vertx-config and validates it. Bad content never fails the
 * future: a missing file, a syntax error or an invalid value all come back as problems in the
 * {@link ConfigResult} (paths {@code file}, {@code toml}, or the key's path).
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  /**
   * The retriever options for {@code path}: one explicit file store ({@link ConfigFileStore}: a
   * regular file of at most 1 MiB), format toml, not optional,
   * no default stores (those would merge in env vars, sys props and conf/config.json).
   * {@code scanPeriodMs} &lt;= 0 means no periodic scan.
   */
  public static ConfigRetrieverOptions retrieverOptions(Path path, long scanPeriodMs) {
    // Absolute: for a relative path missing on disk, Vert.x's file resolver would try the classpath.
    ConfigStoreOptions store = new ConfigStoreOptions()
        .setType(ConfigFileStore.TYPE)
        .setFormat("toml")
        .setOptional(false)
        .setConfig(new JsonObject().put("path", path.toAbsolutePath().toString()));
    return new ConfigRetrieverOptions()
        .setIncludeDefaultStores(false)
        .setScanPeriod(scanPeriodMs)
        .addStore(store);
  }

  /** Reads and validates {@code path} once; the retriever is closed afterwards. */
  public static Future<ConfigResult> load(Vertx vertx, Path path, Function<String, String> env) {
    ConfigRetriever retriever = ConfigRetriever.create(vertx, retrieverOptions(path, 0));
    return retriever.getConfig()
        .eventually(retriever::close)
        .transform(ar -> Future.succeededFuture(ar.succeeded()
            ? ConfigParser.parse(ar.result(), env)
            : readProblem(path, ar.cause())));
  }

  // The store turns an unreadable file, and the processor a syntax error, into a marker the
  // parser reports; what fails the retriever is neither, and still is said as a file problem.
  private static ConfigResult readProblem(Path path, Throwable err) {
    return problem("file", "cannot read " + path + ": " + err.getMessage());
  }

  /**
   * Reads and validates {@code path} now, on the calling thread, with the same parser: for callers
   * that need the config before (or without) a Vert.x instance — sizing the event loops, the
   * client commands. Like {@link #load}, never throws for bad content.
   */
  public static ConfigResult readNow(Path path, Function<String, String> env) {
    byte[] bytes;
    // read to one byte past the bound, not by the size: a pipe (-conf <(…)) or a device has none
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(path)) {
      bytes = in.readNBytes((int) ConfigFileStore.MAX_BYTES + 1);
    } catch (java.nio.file.NoSuchFileException e) {
      return problem("file", path + " does not exist");
    } catch (java.io.IOException e) {
      return problem("file", "cannot read " + path + ": " + e.getMessage());
    }
    if (bytes.length > ConfigFileStore.MAX_BYTES) {
      long size = java.nio.file.Files.isRegularFile(path) ? path.toFile().length() : -1;
      return problem("file", ConfigFileStore.tooLarge(path.toString(), size));
    }
    try {
      return ConfigParser.parse(TomlConfigProcessor.parse(bytes), env);
    } catch (TomlSyntaxException e) {
      return problem("toml", e.getMessage());
    }
  }

  private static ConfigResult problem(String path, String message) {
    return ConfigResult.invalid(List.of(new ConfigProblem(path, message)));
  }
}
