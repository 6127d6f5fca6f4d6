package io.oxllm.cli;

import io.oxllm.Gateway;
import io.oxllm.config.ConfigLoader;
import io.oxllm.config.ConfigLocator;
import io.oxllm.config.ConfigResult;
import io.oxllm.config.GatewayConfig;
import io.oxllm.config.ServerConfig;
import io.oxllm.mock.MockCommand;
import io.oxllm.routing.ConfigSource;
import io.oxllm.routing.RoutingVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;

/**
 * The command line: {@code [serve|validate] [-conf FILE] [-instances N]}. Our own entry point
 * because the Vert.x launcher reads only JSON configs and multiplies a single main verticle,
 * while oxllm reads TOML and deploys three kinds of verticle.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // one line per record: time, level, logger, message
    propertyDefault("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
    // Netty 4.2 looks up JFR for its allocator's events, which loads ~130 JFR classes into every
    // gateway (docs/performance-history.md); -Dio.netty.jfr.enabled=true brings the events back.
    propertyDefault("io.netty.jfr.enabled", "false");
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  // Before any library reads it; a -D on the command line wins.
  private static void propertyDefault(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  /** Runs a command; returns the exit code (serve returns 0 once the gateway is up and keeps running). */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 0 && "mock".equals(args[0])) {
      return MockCommand.run(args, out, err); // its knob flags (--ttft-ms ...) are its own to parse
    }
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
      case "status":
      case "provider":
      case "reload":
      case "stop":
        return ClientCommands.run(cli, out, err);
      case "mock":
        return MockCommand.run(args, out, err);
      default:
        err.println("oxllm: unknown command '" + cli.command() + "'");
        err.println(CliArgs.USAGE);
        return 2;
    }
  }

  private static Path configPath(CliArgs cli) {
    return ConfigLocator.locate(cli.conf(), System::getenv);
  }

  private static int validate(CliArgs cli, PrintStream out, PrintStream err) {
    Path path = configPath(cli);
    Vertx vertx = Vertx.vertx();
    try {
      ConfigResult result = ConfigLoader.load(vertx, path, System::getenv).await();
      if (result.ok()) {
        out.println(path + ": valid (" + count(result.config().providers().size(), "provider") + ", "
            + count(result.config().virtualModels().size(), "virtual model") + ")");
        return 0;
      }
      printProblems(cli, path, result, err);
      return 2;
    } finally {
      vertx.close();
    }
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  private static int serve(CliArgs cli, PrintStream out, PrintStream err) {
    Path path = configPath(cli);
    Vertx vertx = Vertx.builder().with(new VertxOptions().setPreferNativeTransport(true)
        .setEventLoopPoolSize(eventLoops(path, cli.instances()))).build();
    ConfigResult result = ConfigLoader.load(vertx, path, System::getenv).await();
    if (!result.ok()) {
      printProblems(cli, path, result, err);
      vertx.close();
      return 2;
    }
    GatewayConfig config = withInstances(result.config(), cli.instances());
    Gateway gateway;
    try {
      gateway = Gateway.deploy(vertx, config, new ConfigSource(path, System::getenv,
          c -> withInstances(c, cli.instances()))).await();
    } catch (Exception e) {
      // await() rethrows the deployment's failure as it is, checked or not: a port in use is
      // Netty's NativeIoException (an IOException). One line, exit 1, never a hung process.
      err.println("oxllm: could not start: " + startFailure(config.server(), e));
      vertx.close();
      return 1;
    }
    ServerConfig s = config.server();
    out.println("oxllm listening on http://" + hostForUrl(s.host()) + ":" + gateway.port()
        + " (" + s.effectiveInstances() + " HTTP instances, config " + path
        + (vertx.isNativeTransportEnabled() ? ", native transport" : "") + ")");
    Runnable stop = gracefulStop(vertx, gateway, err);
    // a repeated POST /admin/shutdown (a client's retry) asks for the stop already running, and so
    // does the SIGTERM that follows "oxllm stop" in a preStop hook or a service manager
    gateway.state().onShutdownRequest(stop);
    AtomicBoolean signalled = new AtomicBoolean();
    Signals.onStop(() -> {
      if (signalled.getAndSet(true)) { // a second signal: the operator will not wait
        err.println("oxllm: stopping now, without waiting for in-flight requests");
        Runtime.getRuntime().halt(1);
      }
      stop.run();
    });
    Signals.onReload(() -> vertx.eventBus().request(RoutingVerticle.RELOAD, "SIGHUP"));
    return 0;
  }

  /** Why the gateway did not start, in words; a failed bind names the address it wanted. */
  static String startFailure(ServerConfig s, Throwable e) {
    String why = e.getMessage() != null ? e.getMessage() : e.toString();
    boolean bind = e instanceof java.net.BindException
        || why.contains("Address already in use") || why.startsWith("bind(");
    return bind ? "cannot listen on " + hostForUrl(s.host()) + ":" + s.port() + ": " + why : why;
  }

  /**
   * SIGTERM, SIGINT, POST /admin/shutdown: drain (bounded by the grace period), close Vert.x, exit 0.
   * Runs once: a later call returns at once.
   */
  private static Runnable gracefulStop(Vertx vertx, Gateway gateway, PrintStream err) {
    AtomicBoolean stopping = new AtomicBoolean();
    return () -> {
      if (!stopping.compareAndSet(false, true)) {
        return;
      }
      // the grace in force now: a reload may have changed it, and the HTTP verticles read it the same way
      int graceSecs = gateway.state().config().server().shutdownGraceSecs();
      Thread t = new Thread(() -> {
        err.println("oxllm: stopping; in-flight requests have up to " + graceSecs + " s to finish");
        try {
          gateway.close().toCompletionStage().toCompletableFuture().get(graceSecs + 10L, TimeUnit.SECONDS);
          vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
          err.println("oxllm: stopped");
        } catch (Exception e) {
          err.println("oxllm: the stop did not finish cleanly: " + e);
        }
        System.exit(0);
      }, "oxllm-stop");
      t.start();
    };
  }

  /**
   * One event loop per HTTP instance, no more: the routing verticle then shares a loop with an
   * HTTP instance, so on a one-core deployment the per-request route query never crosses threads
   * (Vert.x's default of 2 × cores would put it on a loop of its own). The instance count is
   * peeked from the file before Vert.x starts; the real load (and its error report) follows.
   */
  static int eventLoops(Path path, Integer instancesFlag) {
    if (instancesFlag != null) {
      return instancesFlag;
    }
    ConfigResult peek = ConfigLoader.readNow(path, System::getenv);
    // unreadable or invalid: the real load reports it
    return peek.ok() ? peek.config().server().effectiveInstances() : Runtime.getRuntime().availableProcessors();
  }

  private static GatewayConfig withInstances(GatewayConfig c, Integer instances) {
    if (instances == null) {
      return c;
    }
    return new GatewayConfig(c.server().withInstances(instances), c.auth(), c.routing(), c.timeouts(), c.breaker(), c.telemetry(),
        c.providers(), c.virtualModels());
  }

  private static String hostForUrl(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  private static void printProblems(CliArgs cli, Path path, ConfigResult result, PrintStream err) {
    String searched = ConfigLocator.searchedWithoutFinding(cli.conf(), System::getenv, path);
    if (searched != null) {
      err.println("oxllm: no config file found: " + searched);
      return;
    }
    err.println(path + ": invalid config (" + result.problems().size() + " problem"
        + (result.problems().size() == 1 ? "" : "s") + ")");
    result.problems().forEach(p -> err.println("  " + p));
  }
}
