package io.oxllm.config;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.config.spi.ConfigStore;
import io.vertx.config.spi.ConfigStoreFactory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileProps;
import io.vertx.core.json.JsonObject;
import java.nio.file.NoSuchFileException;

/**
 * The config file as vertx-config's store (type {@value #TYPE}, registered in
 * {@code META-INF/services/io.vertx.config.spi.ConfigStoreFactory}): vertx-config's own
 * {@code file} store reads any file whole, and fails on one that is missing. A 100 MB file then
 * ended the gateway on a reload ({@code OutOfMemoryError} with the shipped flags), and a deleted
 * file logged its stack trace at every scan. This one reads a regular file of at most
 * {@link #MAX_BYTES}, and says what is wrong with any other as a TOML line,
 * {@code __oxllm_file_problem = "<what>"}, which {@link ConfigParser} reports as the {@code file}
 * problem: like a syntax error, a change vertx-config passes on once, and a file put back is a
 * change too, so the report clears.
 */
public final class ConfigFileStore implements ConfigStore {
  public static final String TYPE = "oxllm-file";
  /** The largest config file read: a few hundred times the shipped one, far below the heap. */
  public static final long MAX_BYTES = 1 << 20;
  /** The key of the line that stands for a file that cannot be read; not a valid config key. */
  public static final String PROBLEM_KEY = "__oxllm_file_problem";

  private final Vertx vertx;
  private final String path;

  ConfigFileStore(Vertx vertx, String path) {
    this.vertx = vertx;
    this.path = path;
  }

  @Override
  public Future<Buffer> get() {
    return vertx.fileSystem().props(path).compose(props -> {
      String problem = problem(props);
      return problem != null ? Future.succeededFuture(problemLine(problem)) : vertx.fileSystem().readFile(path);
    }).recover(err -> Future.succeededFuture(problemLine(err instanceof NoSuchFileException
        || err.getCause() instanceof NoSuchFileException ? path + " does not exist" : "cannot read " + path + ": " + err.getMessage())));
  }

  private String problem(FileProps props) {
    if (!props.isRegularFile()) {
      return path + " is not a regular file";
    }
    return props.size() > MAX_BYTES ? tooLarge(path, props.size()) : null;
  }

  /** What a file over {@link #MAX_BYTES} is told; {@code size} -1 when only "more" is known (a pipe). */
  static String tooLarge(String path, long size) {
    return size >= 0 ? path + " is " + size + " bytes; a config file may be at most " + MAX_BYTES
        : path + " holds more than " + MAX_BYTES + " bytes, the most a config file may be";
  }

  private static Buffer problemLine(String problem) {
    return Buffer.buffer(PROBLEM_KEY + " = \"" + new String(JsonStringEncoder.getInstance().quoteAsString(problem)) + "\"\n");
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }

  /** Makes the store for vertx-config: {@code path} in the store's config, absolute. */
  public static final class Factory implements ConfigStoreFactory {
    @Override
    public String name() {
      return TYPE;
    }

    @Override
    public ConfigStore create(Vertx vertx, JsonObject configuration) {
      return new ConfigFileStore(vertx, configuration.getString("path"));
    }
  }
}
