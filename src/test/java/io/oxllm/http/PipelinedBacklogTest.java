package io.oxllm.http;

import static io.oxllm.testing.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.oxllm.testing.GatewayHarness;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client that pipelines requests and reads the answers late, or never: the gateway answers each
 * request only once the answers before it have gone out, so it stops reading the connection
 * instead of piling up answers (an audit's client held 953 MB of heap with 3 M {@code /healthz}
 * requests); a held connection is idle for {@code idle_timeout_secs}.
 */
@ExtendWith(VertxExtension.class)
class PipelinedBacklogTest {
  private static final byte[] HEALTHZ = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

  private int port;

  private void start(Vertx vertx, int idleSecs) {
    port = await(GatewayHarness.start(vertx, "[server]\nport = 0\ninstances = 1\nidle_timeout_secs = " + idleSecs
        + "\nmax_body_bytes = 16777216\n[[providers]]\nname = \"echo\"\ntype = \"echo\"\n")).port();
  }

  /** A socket with small buffers of its own, so what is held is the gateway's doing. */
  private Socket connect() throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(8192);
    socket.setSendBufferSize(8192);
    socket.connect(new InetSocketAddress("127.0.0.1", port));
    return socket;
  }

  @Test
  void answersHeldForAClientThatReadsLateAllComeInOrder(Vertx vertx) throws Exception {
    start(vertx, 0);
    int n = 3000; // ~500 KB of answers: far more than the 16 KB write queue and the client's buffer
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
        try {
          for (int i = 0; i < n; i++) {
            out.write(("GET /healthz HTTP/1.1\r\nHost: x\r\nx-request-id: r-" + i + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
          }
          out.flush();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      Thread.sleep(500); // the answers back up meanwhile (nothing here depends on how far)
      socket.setSoTimeout(10_000);
      String text = readAnswers(socket.getInputStream(), n);
      written.get(10, TimeUnit.SECONDS);
      assertAllOkInOrder(text, n);
    }
  }

  @Test
  void requestsPipelinedBehindAnswersThatTakeTimeAllComeInOrder(Vertx vertx) throws Exception {
    start(vertx, 0);
    int n = 1000; // one write: the gateway decodes two ahead, the rest wait as bytes
    String body = "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < n; i++) {
      all.append(i % 50 == 0 // answered through the routing verticle, not at once
          ? "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
              + body.length() + "\r\nx-request-id: r-" + i + "\r\n\r\n" + body
          : "GET /healthz HTTP/1.1\r\nHost: x\r\nx-request-id: r-" + i + "\r\n\r\n");
    }
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
        try {
          out.write(all.toString().getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      socket.setSoTimeout(10_000);
      String text = readAnswers(socket.getInputStream(), n);
      written.get(10, TimeUnit.SECONDS);
      assertAllOkInOrder(text, n);
      assertEquals(n / 50, text.split("echo: hi", -1).length - 1, "every chat answered");
    }
  }

  /** {@code n} answers, each a 200 carrying request id r-i, i in order. */
  private static void assertAllOkInOrder(String text, int n) {
    int at = 0;
    for (int i = 0; i < n; i++) {
      int next = text.indexOf("HTTP/1.1 ", at + 1);
      String answer = text.substring(at, next < 0 ? text.length() : next);
      assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
      assertTrue(answer.toLowerCase().contains("x-request-id: r-" + i + "\r\n"), "answer " + i + " in order: " + answer);
      at = next;
    }
  }

  private static byte[] repeat(byte[] b, int times) {
    byte[] all = new byte[b.length * times];
    for (int i = 0; i < times; i++) {
      System.arraycopy(b, 0, all, i * b.length, b.length);
    }
    return all;
  }

  /** Reads until {@code n} answers (one "HTTP/1.1 " each) have come. */
  private static String readAnswers(InputStream in, int n) throws IOException {
    StringBuilder text = new StringBuilder();
    byte[] buf = new byte[65536];
    int seen = 0;
    int scanned = 0;
    while (seen < n) {
      int r = in.read(buf);
      if (r < 0) {
        throw new AssertionError("closed after " + seen + " answers of " + n);
      }
      text.append(new String(buf, 0, r, StandardCharsets.ISO_8859_1));
      for (int i = text.indexOf("HTTP/1.1 ", scanned); i >= 0; i = text.indexOf("HTTP/1.1 ", i + 1)) {
        seen++;
        scanned = i + 1;
      }
    }
    return text.toString();
  }

  @Test
  void aSlowReaderWithNothingPipelinedGetsItsWholeAnswer(Vertx vertx) throws Exception {
    start(vertx, 1);
    // the echo's answer outgrows the socket buffers (4 MB at most): its tail waits a few idle periods
    String answer = readSlowly(largeEcho(6_000_000, ""), 256 * 1024);
    assertTrue(answer.startsWith("HTTP/1.1 200 "), answer.substring(0, Math.min(200, answer.length())));
    assertTrue(answer.contains("echo: " + "a".repeat(6_000_000) + "\""), "the whole answer: " + answer.length() + " bytes");
  }

  /**
   * An answer ends as it is written, so a client that never reads it, with nothing pipelined,
   * left a connection with no exchange running that Vert.x's close, flushing first, never closed:
   * held for ever, with the answer (an echo's, counted in the body budget) in memory. It reads
   * nothing for the idle period, so the connection is closed, the answer dropped.
   */
  @Test
  void aClientThatNeverReadsItsAnswerIsClosedWhenIdle(Vertx vertx) throws Exception {
    start(vertx, 1);
    int content = 6_000_000;
    try (Socket socket = connect()) {
      socket.getOutputStream().write(largeEcho(content, ""));
      Thread.sleep(4_000); // reads nothing: idle_timeout_secs is 1, the sweep once a second
      socket.setSoTimeout(10_000);
      InputStream in = socket.getInputStream();
      long got = 0;
      try {
        for (int r; (r = in.read(new byte[65536])) > 0; ) {
          got += r;
        }
      } catch (java.net.SocketException reset) {
        // the unsent answer dropped: a reset, as the kernel still held some of it
      }
      assertTrue(got < content, "closed with its answer unsent, not kept open: read " + got);
    }
  }

  @Test
  void aSlowReaderWithARequestPipelinedBehindALargeAnswerGetsBoth(Vertx vertx) throws Exception {
    start(vertx, 1);
    slowReaderGetsBoth(6_000_000, 256 * 1024); // a few idle periods to go out
  }

  /**
   * The answer goes to Netty as one buffer, which the kernel takes a part at a time: on NIO its
   * bytes counted as unsent until the last part went, so a connection read at 2.5 MB/s looked
   * unread for seconds and was closed under its reader (about 8 MB of 12 arrived).
   */
  @Test
  void aSlowReaderOfAnAnswerTheKernelTakesInPartsGetsItAndThePipelinedOne(Vertx vertx) throws Exception {
    start(vertx, 1);
    slowReaderGetsBoth(12_000_000, 256 * 1024);
  }

  /**
   * On Linux the gateway runs on the native transport, where the sweep asks the kernel when it
   * last sent the client data: a reader at 640 KB/s, far slower than NIO can tell from Netty's
   * unsent bytes, still reads, and gets all.
   */
  @Test
  void onTheNativeTransportAVerySlowReaderWithARequestPipelinedGetsBoth() throws Exception {
    Vertx nativeVertx = Vertx.builder().with(new VertxOptions().setPreferNativeTransport(true)).build();
    try {
      assumeTrue(nativeVertx.isNativeTransportEnabled(), "no native transport here");
      start(nativeVertx, 1);
      slowReaderGetsBoth(6_000_000, 64 * 1024);
    } finally {
      await(nativeVertx.close());
    }
  }

  /**
   * Sends a chat whose echo answer holds {@code contentBytes}, with a {@code /healthz} pipelined
   * behind it, then reads {@code chunk} bytes every 100 ms: both answers must come whole.
   */
  private void slowReaderGetsBoth(int contentBytes, int chunk) throws Exception {
    String answers = readSlowly(largeEcho(contentBytes, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), chunk);
    assertTrue(answers.contains("echo: " + "a".repeat(contentBytes) + "\""), "the whole answer: " + answers.length() + " bytes");
    assertTrue(answers.contains("HTTP/1.1 200 OK\r\n") && answers.endsWith("{\"status\":\"ok\"}"),
        "then the pipelined one: " + answers.substring(Math.max(0, answers.length() - 300)));
  }

  /** A chat request whose echo answer holds {@code contentBytes} letters, then {@code pipelined}. */
  private static byte[] largeEcho(int contentBytes, String pipelined) {
    String body = "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(contentBytes) + "\"}]}";
    return ("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + body.length() + "\r\n\r\n" + body + pipelined).getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Sends {@code request}, then reads {@code chunk} bytes every 100 ms until the gateway closes. */
  private String readSlowly(byte[] request, int chunk) throws Exception {
    try (Socket socket = connect()) {
      socket.getOutputStream().write(request);
      socket.setSoTimeout(10_000);
      InputStream in = socket.getInputStream();
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
      byte[] buf = new byte[chunk];
      for (int r; (r = in.readNBytes(buf, 0, buf.length)) > 0; ) {
        got.write(buf, 0, r);
        Thread.sleep(100);
      }
      return got.toString(StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void aClientThatNeverReadsIsNoLongerReadAndClosedWhenIdle(Vertx vertx) throws Exception {
    start(vertx, 1);
    long total = 64L << 20; // 1.6 M requests: more than any socket buffers between us hold
    AtomicLong sent = new AtomicLong();
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      CompletableFuture<IOException> writer = CompletableFuture.supplyAsync(() -> {
        byte[] batch = repeat(HEALTHZ, 1000);
        try {
          while (sent.get() < total) {
            out.write(batch);
            sent.addAndGet(batch.length);
          }
          return null;
        } catch (IOException e) {
          return e; // the gateway closed the connection: what is expected
        }
      });
      // old behaviour: every request read and answered into memory, so all 64 MB go out
      IOException closed = writer.get(60, TimeUnit.SECONDS);
      assertNotNull(closed, "the gateway read all " + sent.get() + " bytes of requests whose answers nobody read");
      assertTrue(sent.get() < total, "sent " + sent.get());
    }
  }
}
