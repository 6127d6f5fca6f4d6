package io.oxllm.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.oxllm.Version;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * POSTs OTLP/HTTP export requests (binary protobuf) to the collector's {@code /v1/traces} and
 * {@code /v1/metrics} over Vert.x's HTTP/1.1 client: keep-alive, at most {@code maxConnections}
 * connections, connect and idle timeouts of {@code timeout}, never retried. Spans come encoded by
 * {@link OtlpTraceEncoder}, metrics by {@link OtlpMetricExporter}.
 *
 * <p>Why not the SDK's exporters and their JDK sender: measured on one core, each span export
 * through it cost about 0.5 ms of CPU before its first byte (a fixed pool of five threads handing
 * the request to the JDK client's own executor and selector threads, whose code stays in the
 * interpreter at a few exports a second), plus about 1.4 µs per KB through its h2c upgrade and
 * 16 KB HTTP/2 frames: at 25 exports a second that was 5 % of the gateway's CPU. For metrics, an
 * export every 10 s, the cost was elsewhere: the JDK client loads some 600 classes (its HTTP stack
 * and an SSL context), and with them loaded the gateway's young collections took longer
 * (docs/performance-history.md). This client's code is the gateway's own upstream path, already
 * loaded and compiled; an export is one write of one buffer on an event loop.
 *
 * <p>Exports run on telemetry's own event loop ({@link TelemetryLoop}), whatever thread asks, and
 * complete there. Issued from the telemetry worker's context, each step of an export (connection,
 * write progress, answer, end) was a task handed to the worker thread: ~1200 wake-ups a second at
 * 14 exports a second, against ~220 with no exporter (measured: voluntary context switches of the
 * worker thread, 64 connections). On an event loop those steps are plain calls.
 */
final class OtlpHttpSender implements SpanShipper.Sender {
  /** The most of a collector's answer read for a partial success (an empty one is a few bytes). */
  private static final int ANSWER_KEPT = 4096;

  /** Told when a collector took only part of an export; {@code what} is "spans" or "metrics". */
  interface PartialAnswers {
    void rejected(String what, PartialSuccess said);
  }

  private final HttpClient client;
  private final ContextInternal io;
  private final RequestOptions traces;
  private final RequestOptions metrics;
  private final long timeoutMs;
  private volatile PartialAnswers partial = (what, said) -> { };

  /**
   * @param io the context exports run on ({@link TelemetryLoop#context})
   * @param endpoint the collector's base URL ({@code otlp_endpoint}, no trailing slash)
   * @param headers sent with every export ({@link OtlpHeaders}: a hosted collector's API key, say)
   */
  OtlpHttpSender(ContextInternal io, String endpoint, Map<String, String> headers, Duration timeout,
      int maxConnections) {
    this.client = io.owner().createHttpClient(new HttpClientOptions()
        .setKeepAlive(true)
        .setKeepAliveTimeout(30)
        .setConnectTimeout((int) timeout.toMillis()),
        new PoolOptions().setHttp1MaxSize(maxConnections));
    this.io = io;
    this.timeoutMs = timeout.toMillis();
    this.traces = post(endpoint + "/v1/traces", headers, timeout);
    this.metrics = post(endpoint + "/v1/metrics", headers, timeout);
  }

  /** Where a collector's partial successes go (OtlpExport: counted and reported). */
  void onPartialSuccess(PartialAnswers listener) {
    partial = listener;
  }

  private static RequestOptions post(String url, Map<String, String> extra, Duration timeout) {
    MultiMap headers = HttpHeaders.headers()
        .set("content-type", "application/x-protobuf")
        .set("user-agent", "oxllm/" + Version.VALUE);
    extra.forEach(headers::set);
    return new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setAbsoluteURI(url)
        .setConnectTimeout(timeout.toMillis())
        .setIdleTimeout(timeout.toMillis())
        .setHeaders(headers);
  }

  /**
   * Spans, in direct memory ({@link OtlpTraceEncoder}), which the socket is written from as it is:
   * a view of it, which Netty's release does not free (the GC does, once the shipper drops it).
   * See {@link #post}.
   */
  @Override
  public CompletableResultCode send(OtlpTraceEncoder.Encoded request, int spans) {
    return post(traces, "spans", spans, Unpooled.wrappedBuffer(request.message()));
  }

  /** Metrics, a few kilobytes every interval: Netty copies them into direct memory. See {@link #post}. */
  CompletableResultCode sendMetrics(byte[] request) {
    return post(metrics, "metrics", Long.MAX_VALUE, Unpooled.wrappedBuffer(request));
  }

  /**
   * Sends {@code body}. Completes on telemetry's loop when the collector answered 2xx, fails
   * otherwise; either way only once the bytes are written or abandoned, so the caller may reuse
   * their memory. Once that loop has ended it fails at once, never throws.
   */
  private CompletableResultCode post(RequestOptions target, String what, long items, ByteBuf body) {
    CompletableResultCode result = new CompletableResultCode();
    try {
      io.runOnContext(v -> exchange(target, what, items, body, result));
    } catch (RejectedExecutionException e) {
      result.failExceptionally(e); // telemetry's loop has ended: a last metric export after shutdown
    }
    return result;
  }

  private void exchange(RequestOptions target, String what, long items, ByteBuf body, CompletableResultCode result) {
    client.request(target)
        .compose(req -> {
          Future<Void> written = req.end(BufferInternal.buffer(body));
          Future<Void> answered = req.response().compose(resp -> answer(resp, what, items));
          // the whole answer within the timeout once the export is written: the idle timeout did
          // not end a 200 whose body stalled short of its length or trickled for ever, and the
          // four export connections stayed taken, nothing exported, nothing logged (an audit)
          written.onSuccess(v -> {
            long timer = io.owner().setTimer(timeoutMs, t -> req.reset(0, new TimeoutException(
                "no whole answer within " + timeoutMs + " ms of the export's last byte")));
            answered.onComplete(ar -> io.owner().cancelTimer(timer));
          });
          // join, not all: a collector may answer (or time out) before the body is out of our hands
          return Future.join(written, answered).transform(ar -> answered);
        })
        .onComplete(ar -> {
          if (ar.succeeded()) {
            result.succeed();
          } else {
            result.failExceptionally(ar.cause());
          }
        });
  }

  /**
   * Reads the answer to its end (so the connection is reused); a non-2xx status is a failure. A
   * 2xx in protobuf is read (its first {@value #ANSWER_KEPT} bytes) for a partial success, which
   * until 2026-12-08 went unseen: its rejected spans counted as exported, its reason nowhere. A
   * collector's count is taken for no more than the {@code items} it was sent.
   */
  private Future<Void> answer(HttpClientResponse resp, String what, long items) {
    int status = resp.statusCode();
    String type = resp.getHeader(HttpHeaders.CONTENT_TYPE);
    Buffer kept = status / 100 == 2 && type != null && type.contains("protobuf") ? Buffer.buffer() : null;
    if (kept != null) {
      resp.handler(chunk -> kept.appendBuffer(chunk, 0, Math.min(chunk.length(), ANSWER_KEPT - kept.length())));
    }
    return resp.end().compose(v -> {
      if (status / 100 != 2) {
        return Future.failedFuture(new CollectorStatusException(status));
      }
      PartialSuccess said = kept == null || kept.length() == 0 ? null : PartialSuccess.read(kept);
      if (said != null) {
        partial.rejected(what, said.atMost(items));
      }
      return Future.succeededFuture();
    });
  }

  /** Closes the connections; an export still under way fails. */
  Future<Void> shutdown() {
    return client.close();
  }

  /** The collector answered, with a status that is not a success. */
  static final class CollectorStatusException extends RuntimeException {
    final int status;

    CollectorStatusException(int status) {
      super("the collector answered HTTP " + status, null, false, false);
      this.status = status;
    }
  }
}
