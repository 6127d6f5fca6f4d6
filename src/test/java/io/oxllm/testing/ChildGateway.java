package io.oxllm.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code io.oxllm.cli.Main} in a child JVM on this JVM's classpath, with its stdout and stderr
 * read line by line as they come, signals sent with {@code kill}, and small raw-socket helpers to
 * probe its listener. Only ever acts on its own process.
 */
public final class ChildGateway {
  /**
   * {@code env --default-signal=HUP,INT,TERM}, put before the child's command where this system's
   * {@code env} has it (GNU coreutils 8.31 and later), else nothing. A child inherits the signals
   * its parent ignores, and a test run started with {@code nohup} or as a shell's background job
   * ignores SIGHUP or SIGINT; the JVM then leaves them ignored instead of handling them, and the
   * signal tests failed for the way the suite was started, not for the gateway.
   */
  private static final List<String> DEFAULT_SIGNALS = defaultSignals();

  private final Process process;
  private final List<String> stdout = new CopyOnWriteArrayList<>();
  private final List<String> stderr = new CopyOnWriteArrayList<>();

  private ChildGateway(Process process) {
    this.process = process;
    pump(process.getInputStream(), stdout, "child-stdout");
    pump(process.getErrorStream(), stderr, "child-stderr");
  }

  /** Starts {@code java -cp <this classpath> io.oxllm.cli.Main args...}. */
  public static ChildGateway start(String... args) {
    return start(List.of(), args);
  }

  /** Starts {@code java <jvmOptions> -cp <this classpath> io.oxllm.cli.Main args...}. */
  public static ChildGateway start(List<String> jvmOptions, String... args) {
    List<String> cmd = new ArrayList<>(DEFAULT_SIGNALS);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", classpath(), "io.oxllm.cli.Main"));
    cmd.addAll(List.of(args));
    try {
      return new ChildGateway(new ProcessBuilder(cmd).start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> defaultSignals() {
    List<String> prefix = List.of("env", "--default-signal=HUP,INT,TERM");
    try {
      List<String> probe = new ArrayList<>(prefix);
      probe.add("true");
      Process p = new ProcessBuilder(probe).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? prefix : List.of();
    } catch (IOException e) {
      return List.of(); // no env on the PATH: start the child as it is
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  /**
   * This JVM's classpath: {@code java.class.path} (Surefire: its booter jar, whose manifest lists
   * the test and main classes and every dependency), plus the URLs of any URL class loader above
   * this class (the JUnit console launcher loads {@code -cp} entries that way).
   */
  public static String classpath() {
    Set<String> entries = new LinkedHashSet<>();
    for (ClassLoader cl = ChildGateway.class.getClassLoader(); cl != null; cl = cl.getParent()) {
      if (cl instanceof URLClassLoader u) {
        for (URL url : u.getURLs()) {
          try {
            entries.add(Path.of(url.toURI()).toString());
          } catch (URISyntaxException | IllegalArgumentException e) {
            // not a file: skip
          }
        }
      }
    }
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!e.isEmpty()) {
        entries.add(e);
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  private static void pump(InputStream in, List<String> into, String name) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          into.add(line);
        }
      } catch (IOException e) {
        // the process went away
      }
    }, name);
    t.setDaemon(true);
    t.start();
  }

  public long pid() {
    return process.pid();
  }

  public List<String> stdout() {
    return List.copyOf(stdout);
  }

  public List<String> stderr() {
    return List.copyOf(stderr);
  }

  /** Everything the child printed so far, for failure messages. */
  public String output() {
    return "stdout:\n" + String.join("\n", stdout) + "\nstderr:\n" + String.join("\n", stderr);
  }

  /** Waits for a stdout line matching {@code match}; fails with the output if the child exits or time runs out. */
  public String awaitStdout(Predicate<String> match, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : stdout) {
        if (match.test(line)) {
          return line;
        }
      }
      if (!process.isAlive() && stdout.stream().noneMatch(match)) {
        throw new AssertionError("the child exited (" + process.exitValue() + ") first\n" + output());
      }
      waitFor(Duration.ofMillis(25));
    }
    throw new AssertionError("no such stdout line within " + within.toMillis() + " ms\n" + output());
  }

  /** {@code kill -<name> <pid>} for this child only. */
  public void signal(String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name.toUpperCase(Locale.ROOT), Long.toString(pid()))
          .redirectErrorStream(true).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new AssertionError("kill -" + name + " " + pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The exit code, waiting at most {@code within}; fails (with the output) if it is still running. */
  public int awaitExit(Duration within) {
    if (!waitFor(within)) {
      throw new AssertionError("still running after " + within.toMillis() + " ms\n" + output());
    }
    return process.exitValue();
  }

  private boolean waitFor(Duration d) {
    try {
      return process.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Whether the child still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Kills this child (SIGKILL) if it still runs, and waits for it. */
  public void destroy() {
    if (process.isAlive()) {
      process.destroyForcibly();
      waitFor(Duration.ofSeconds(10));
    }
  }

  /** True when a TCP connect to 127.0.0.1:{@code port} is refused (nothing listens). */
  public static boolean refused(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** An open keep-alive connection to 127.0.0.1:{@code port}. */
  public static Socket connect(int port) {
    try {
      Socket s = new Socket();
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(5000);
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Sends one raw HTTP/1.1 request on {@code s} and reads the response's status and body
   * (Content-Length framed); null when the server closed or reset the connection instead.
   */
  /** One request on {@code s}: {status, body, Connection header or ""}, or null if the connection was closed. */
  public static String[] exchange(Socket s, String method, String path, String body) {
    String b = body == null ? "" : body;
    String req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + (body == null ? "" : "Content-Type: application/json\r\n")
        + "Content-Length: " + b.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + b;
    try {
      OutputStream out = s.getOutputStream();
      out.write(req.getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      String status = readLine(in);
      if (status == null) {
        return null;
      }
      int length = 0;
      String connection = "";
      for (String h = readLine(in); h != null && !h.isEmpty(); h = readLine(in)) {
        String lower = h.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Integer.parseInt(h.substring(15).trim());
        } else if (lower.startsWith("connection:")) {
          connection = h.substring(11).trim();
        }
      }
      byte[] content = in.readNBytes(length);
      return new String[] {status.split(" ")[1], new String(content, StandardCharsets.UTF_8), connection};
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no answer on the open connection within 5 s");
    } catch (IOException e) {
      return null; // reset or broken pipe: the connection was closed
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c = in.read(); c != -1; c = in.read()) {
      if (c == '\n') {
        return sb.toString().stripTrailing();
      }
      sb.append((char) c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }
}
