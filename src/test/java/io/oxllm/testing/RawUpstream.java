package io.oxllm.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An upstream that answers with exactly the bytes a test scripts, for answers no HTTP server
 * library would write: an interim status taken for the final one, a body longer than its
 * Content-Length, a head and then a cut. Reads each request to its Content-Length end (the
 * gateway always sends one) and hands it, numbered from 1 across all connections, to the script.
 * Records which connection each request came on and which connections the gateway closed.
 */
public final class RawUpstream {
  /** Answers request {@code n} on {@code socket}: writes bytes, sets timers, closes. */
  public interface Script {
    void answer(int n, NetSocket socket);
  }

  private final NetServer server;
  private final Script script;
  private final List<Integer> connectionOfRequest = new ArrayList<>();
  private final List<Integer> closedConnections = new ArrayList<>();
  private int connections;

  private RawUpstream(NetServer server, Script script) {
    this.server = server;
    this.script = script;
  }

  /** Listens on 127.0.0.1, an ephemeral port. */
  public static Future<RawUpstream> start(Vertx vertx, Script script) {
    NetServer server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0));
    RawUpstream up = new RawUpstream(server, script);
    server.connectHandler(up::accept);
    return server.listen().map(s -> up);
  }

  /** The bytes as ISO-8859-1 (what a test writes is ASCII). */
  public static Buffer bytes(String s) {
    return Buffer.buffer(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  public int port() {
    return server.actualPort();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port() + "/v1";
  }

  /** A provider named {@code name} for this upstream, serving {@link ChainToml#MODEL}. */
  public String provider(String name, String timeouts) {
    String t = timeouts.isBlank() ? "" : "timeouts = { " + timeouts + " }\n";
    return "[[providers]]\nname = \"" + name + "\"\ntype = \"openai\"\nbase_url = \"" + baseUrl()
        + "\"\nmodels = [\"" + ChainToml.MODEL + "\"]\n" + t;
  }

  /** The connection (numbered from 1) each request came on, in request order. */
  public synchronized List<Integer> connectionOfRequest() {
    return List.copyOf(connectionOfRequest);
  }

  /** The connections (numbered from 1) the other side has closed, in order. */
  public synchronized List<Integer> closedConnections() {
    return List.copyOf(closedConnections);
  }

  public Future<Void> close() {
    return server.close();
  }

  private void accept(NetSocket socket) {
    int connection;
    synchronized (this) {
      connection = ++connections;
    }
    Buffer[] pending = {Buffer.buffer()};
    socket.closeHandler(v -> {
      synchronized (this) {
        closedConnections.add(connection);
      }
    });
    socket.handler(chunk -> {
      pending[0].appendBuffer(chunk);
      int end;
      while ((end = requestEnd(pending[0])) > 0) {
        pending[0] = pending[0].getBuffer(end, pending[0].length());
        int n;
        synchronized (this) {
          connectionOfRequest.add(connection);
          n = connectionOfRequest.size();
        }
        script.answer(n, socket);
      }
    });
  }

  /** Where the first whole request in {@code b} ends, or -1 while it is incomplete. */
  private static int requestEnd(Buffer b) {
    String text = b.toString(StandardCharsets.ISO_8859_1);
    int head = text.indexOf("\r\n\r\n");
    if (head < 0) {
      return -1;
    }
    long length = 0;
    for (String line : text.substring(0, head).split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Long.parseLong(line.substring(15).trim());
      }
    }
    long end = head + 4 + length;
    return end <= b.length() ? (int) end : -1;
  }
}
