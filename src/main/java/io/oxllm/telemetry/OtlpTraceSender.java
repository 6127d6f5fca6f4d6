package io.oxllm.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.netty.buffer.Unpooled;
import io.oxllm.Version;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.buffer.BufferInternal;
import java.time.Duration;

/**
 * POSTs export requests that {@link OtlpTraceEncoder} wrote to {@code /v1/traces} (OTLP/HTTP,
 * binary protobuf) over Vert.x's HTTP/1.1 client: keep-alive, at most {@code maxConnections}
 * connections, connect and idle timeouts of {@code timeout}, never retried.
 *
 * <p>Why not the SDK's exporter and its JDK sender (which metrics keep, one export per interval):
 * measured on one core, each span export through it cost about 0.5 ms of CPU before its first
 * byte (a fixed pool of five threads handing the request to the JDK client's own executor and
 * selector threads, whose code stays in the interpreter at a few exports a second), plus about
 * 1.4 µs per KB through its h2c upgrade and 16 KB HTTP/2 frames: at 25 exports a second that was
 * 5 % of the gateway's CPU. This client's code is the gateway's own upstream path, already
 * compiled; an export is one write of one buffer on an event loop.
 */
final class OtlpTraceSender implements SpanShipper.Sender {
  private final HttpClient client;
  private final RequestOptions post;

  OtlpTraceSender(Vertx vertx, String tracesUrl, Duration timeout, int maxConnections) {
    this.client = vertx.createHttpClient(new HttpClientOptions()
        .setKeepAlive(true)
        .setKeepAliveTimeout(30)
        .setConnectTimeout((int) timeout.toMillis()),
        new PoolOptions().setHttp1MaxSize(maxConnections));
    this.post = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setAbsoluteURI(tracesUrl)
        .setConnectTimeout(timeout.toMillis())
        .setIdleTimeout(timeout.toMillis())
        .putHeader("content-type", "application/x-protobuf")
        .putHeader("user-agent", "oxllm/" + Version.VALUE);
  }

  /**
   * Completes (on the calling context) when the collector answered 2xx, fails otherwise; either
   * way only once the request's bytes are written or abandoned, so the shipper may reuse them.
   */
  @Override
  public CompletableResultCode send(byte[] request, int length, int spans) {
    CompletableResultCode result = new CompletableResultCode();
    client.request(post)
        .compose(req -> {
          // wrapped, not copied (Buffer.buffer(byte[]) copies)
          Future<Void> written = req.end(BufferInternal.buffer(Unpooled.wrappedBuffer(request, 0, length)));
          Future<Void> answered = req.response().compose(OtlpTraceSender::answer);
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
    return result;
  }

  /** Reads the answer to its end (so the connection is reused); a non-2xx status is a failure. */
  private static Future<Void> answer(HttpClientResponse resp) {
    int status = resp.statusCode();
    return resp.end().compose(v -> status / 100 == 2
        ? Future.succeededFuture()
        : Future.failedFuture(new CollectorStatusException(status)));
  }

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
