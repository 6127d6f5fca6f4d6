package io.oxllm.mock;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/**
 * {@code oxllm mock}: runs the fake OpenAI upstream until SIGTERM/SIGINT (then exits 0). It
 * parses its own flags, since its knobs mean nothing to the gateway's commands. Prints exactly
 * one line on stdout once listening, {@code oxllm mock listening on http://HOST:PORT/v1}, with
 * the real port (so {@code -port 0} works); anything else goes to stderr.
 */
public final class MockCommand {
  /** The help text. */
  public static final String USAGE = String.join("\n",
      "usage: oxllm mock [-host 127.0.0.1] [-port 9090] [-instances 1] [--ttft-ms 0] [--chunks 20]",
      "                  [--gap-ms 5] [--size 64] [--fail-rate 0] [--fail-status 503] [--retry-after SECS]",
      "                  [--fault none|hang|reset|cut:K|stall:K|error-first|no-done]",
      "An OpenAI-compatible fake upstream: POST /v1/chat/completions, /v1/completions (JSON, or SSE",
      "when the body has \"stream\": true), /v1/embeddings; GET /v1/models, /healthz, /mock/stats.",
      "  --ttft-ms      delay before the headers and first chunk (non-stream: the whole answer;",
      "                 injected failures and reset wait for it too)",
      "  --chunks       content chunks per stream, then a finish_reason chunk, usage (when",
      "                 stream_options.include_usage is true) and data: [DONE]",
      "  --gap-ms       delay between chunks; 0 writes the whole stream at once",
      "  --size         bytes of assistant text in total",
      "  --fail-rate    fraction (0..1) of requests answered --fail-status with an OpenAI error",
      "  --retry-after  Retry-After seconds sent with those failures",
      "  --fault        hang: never answer; reset: close before any response; cut:K: K chunks then",
      "                 close; stall:K: K chunks then silence; error-first: an error as the first",
      "                 SSE event; no-done: end without data: [DONE]",
      "Per request, headers x-mock-ttft-ms, x-mock-chunks, ... x-mock-fault override the flags.");

  /** The parsed command line. */
  record Options(String host, int port, int instances, MockKnobs knobs, boolean help) {}

  private MockCommand() {}

  /**
   * Runs {@code oxllm mock ARGS} ({@code args} may start with the word "mock"). Returns 0 once
   * listening (Vert.x threads keep the JVM alive), 2 on a usage error, 1 when it cannot listen.
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      err.println("oxllm mock: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    if (o.help()) {
      out.println(USAGE);
      return 0;
    }
    MockUpstream mock;
    try {
      mock = launch(o, out, err);
    } catch (Exception e) {
      // await() rethrows a failed bind as Netty's NativeIoException, checked: one line and exit 1,
      // not a stack trace and a process Vert.x's threads keep alive
      err.println("oxllm mock: could not start: " + e.getMessage());
      return 1;
    }
    AtomicBoolean stopping = new AtomicBoolean();
    Runnable stop = () -> {
      if (stopping.compareAndSet(false, true)) {
        // the signal thread must not block: close on a thread of our own, bounded, then exit 0
        new Thread(() -> {
          try {
            mock.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
          } catch (Exception e) {
            err.println("oxllm mock: the stop did not finish cleanly: " + e);
          }
          System.exit(0);
        }, "oxllm-mock-stop").start();
      }
    };
    onSignal("TERM", stop, err);
    onSignal("INT", stop, err);
    return 0;
  }

  /**
   * Starts the mock in a Vertx of its own (native transport when available, like the gateway)
   * and prints the ready line. Blocks until listening; throws when it cannot listen.
   */
  static MockUpstream launch(Options o, PrintStream out, PrintStream err) {
    Vertx vertx = Vertx.builder().with(new VertxOptions().setPreferNativeTransport(true)).build();
    MockUpstream mock;
    try {
      mock = MockUpstream.deploy(vertx, o.host(), o.port(), o.instances(), o.knobs(), true).await();
    } catch (Exception e) {
      vertx.close();
      throw e;
    }
    MockKnobs k = o.knobs();
    err.println("oxllm mock: " + o.instances() + " instance" + (o.instances() == 1 ? "" : "s")
        + (vertx.isNativeTransportEnabled() ? ", native transport" : "") + "; ttft-ms " + k.ttftMs()
        + ", chunks " + k.chunks() + ", gap-ms " + k.gapMs() + ", size " + k.size() + ", fail-rate "
        + k.failRate() + ", fail-status " + k.failStatus() + ", retry-after " + k.retryAfter() + ", fault " + k.fault());
    out.println("oxllm mock listening on " + mock.baseUrl());
    out.flush();
    return mock;
  }

  /** Parses the flags; the first word "mock" is skipped. Throws IllegalArgumentException on a usage error. */
  static Options parse(String[] args) {
    String host = "127.0.0.1";
    int port = 9090;
    int instances = 1;
    MockKnobs knobs = MockKnobs.DEFAULTS;
    boolean help = false;
    boolean skippedCommand = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("mock") && !skippedCommand) {
        skippedCommand = true;
        continue;
      }
      if (!a.startsWith("-")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'");
      }
      String name = a.substring(a.startsWith("--") ? 2 : 1);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) { // --size=128
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (name.equals("h") || name.equals("help")) {
        help = true;
        continue;
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(a + " needs a value");
        }
        value = args[++i];
      }
      switch (name) {
        case "host" -> host = value;
        case "port" -> port = whole(a, value, 0, 65535);
        case "instances" -> instances = whole(a, value, 1, 256);
        default -> {
          if (!MockKnobs.NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown option '" + a + "'");
          }
          knobs = knobs.with(name, value);
        }
      }
    }
    return new Options(host, port, instances, knobs, help);
  }

  private static int whole(String flag, String v, int min, int max) {
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(flag + " needs a whole number from " + min + " to " + max + ", not '" + v + "'");
  }

  private static void onSignal(String name, Runnable action, PrintStream err) {
    try {
      Signal.handle(new Signal(name), s -> action.run());
    } catch (IllegalArgumentException e) {
      // -Xrs, or a platform without this signal: the JVM's default handling stays
      err.println("oxllm mock: cannot handle SIG" + name + ": " + e.getMessage());
    }
  }
}
