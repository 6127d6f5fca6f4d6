package io.oxllm.cli;

import io.oxllm.Gateway;
import io.oxllm.config.ConfigLoader;
import io.oxllm.config.ConfigLocator;
import io.oxllm.config.ConfigResult;
import io.oxllm.config.GatewayConfig;
import io.oxllm.config.ServerConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The command line: {@code [serve|validate] [-conf FILE] [-instances N]}. Our own entry point
 * because the Vert.x launcher reads only JSON configs and multiplies a single main verticle,
 * while oxllm reads TOML and deploys three kinds of verticle.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs a command; returns the exit code (serve returns 0 once the gateway is up and keeps running). */
  static int run(String[] args, PrintStream out, PrintStream err) {
    CliArgs cli;
    try {
      cli = CliArgs.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("oxllm: " + e.getMessage());
      err.println(CliArgs.USAGE);
      return 2;
    }
    switch (cli.command()) {
      case "help":
        out.println(CliArgs.USAGE);
        return 0;
      case "validate":
        return validate(cli, out, err);
      case "serve":
        return serve(cli, out, err);
      default:
        err.println("oxllm: unknown command '" + cli.command() + "'");
        err.println(CliArgs.USAGE);
        return 2;
    }
  }

  private static Path configPath(CliArgs cli) {
    return ConfigLocator.locate(cli.conf(), System::getenv, Path.of(System.getProperty("user.home")));
  }

  private static int validate(CliArgs cli, PrintStream out, PrintStream err) {
    Path path = configPath(cli);
    Vertx vertx = Vertx.vertx();
    try {
      ConfigResult result = ConfigLoader.load(vertx, path, System::getenv).await();
      if (result.ok()) {
        out.println(path + ": valid (" + result.config().providers().size() + " providers, "
            + result.config().virtualModels().size() + " virtual models)");
        return 0;
      }
      printProblems(path, result, err);
      return 2;
    } finally {
      vertx.close();
    }
  }

  private static int serve(CliArgs cli, PrintStream out, PrintStream err) {
    Path path = configPath(cli);
    Vertx vertx = Vertx.builder().with(new VertxOptions().setPreferNativeTransport(true)).build();
    ConfigResult result = ConfigLoader.load(vertx, path, System::getenv).await();
    if (!result.ok()) {
      printProblems(path, result, err);
      vertx.close();
      return 2;
    }
    GatewayConfig config = withInstances(result.config(), cli.instances());
    Gateway gateway;
    try {
      gateway = Gateway.deploy(vertx, config).await();
    } catch (RuntimeException e) {
      err.println("oxllm: could not start: " + e.getMessage());
      vertx.close();
      return 1;
    }
    ServerConfig s = config.server();
    out.println("oxllm listening on http://" + hostForUrl(s.host()) + ":" + gateway.port()
        + " (" + s.effectiveInstances() + " HTTP instances, config " + path
        + (vertx.isNativeTransportEnabled() ? ", native transport" : "") + ")");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      CompletableFuture<Void> closed = vertx.close().toCompletionStage().toCompletableFuture();
      try {
        closed.get(s.shutdownGraceSecs() + 5L, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("oxllm: shutdown did not finish in time: " + e);
      }
    }, "oxllm-shutdown"));
    return 0;
  }

  private static GatewayConfig withInstances(GatewayConfig c, Integer instances) {
    if (instances == null) {
      return c;
    }
    ServerConfig s = c.server();
    ServerConfig server = new ServerConfig(s.host(), s.port(), s.bindFamily(), instances, s.maxBodyBytes(),
        s.shutdownGraceSecs(), s.adminToken(), s.corsOrigins(), s.configScanMs());
    return new GatewayConfig(server, c.auth(), c.routing(), c.timeouts(), c.breaker(), c.telemetry(),
        c.providers(), c.virtualModels());
  }

  private static String hostForUrl(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  private static void printProblems(Path path, ConfigResult result, PrintStream err) {
    err.println(path + ": invalid config (" + result.problems().size() + " problem"
        + (result.problems().size() == 1 ? "" : "s") + ")");
    result.problems().forEach(p -> err.println("  " + p));
  }
}
