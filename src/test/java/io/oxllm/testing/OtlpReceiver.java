package io.oxllm.testing;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.trace.v1.Span;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OTLP/HTTP collector for tests: a real Vert.x {@link HttpServer} on {@code 127.0.0.1:0}
 * accepting {@code POST /v1/traces} and {@code /v1/metrics} as {@code application/x-protobuf},
 * decoded with the opentelemetry-proto classes. It can also stall (accept, read, never answer)
 * or answer every export with an error status, to play a slow or failing collector.
 */
public final class OtlpReceiver {
  /** How the receiver answers exports. */
  /**
   * ANSWER: accept all; PARTIAL: accept, but say 1 span or 2 data points were rejected (OTLP's
   * partial_success); STALL: answer never; STALL_BODY: answer 200 with 10 of the 100 bytes its head
   * promises, then nothing.
   */
  public enum Mode { ANSWER, STALL, FAIL_503, PARTIAL, STALL_BODY }

  private final List<ExportTraceServiceRequest> traces = new CopyOnWriteArrayList<>();
  private final List<ExportMetricsServiceRequest> metrics = new CopyOnWriteArrayList<>();
  private final List<MultiMap> headers = new CopyOnWriteArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger rejected = new AtomicInteger();
  private volatile Mode mode;
  // answers wait for this (read at each request)
  private volatile Future<Void> answersAfter = Future.succeededFuture();
  private HttpServer server;

  private OtlpReceiver(Mode mode) {
    this.mode = mode;
  }

  public static Future<OtlpReceiver> start(Vertx vertx) {
    return start(vertx, Mode.ANSWER);
  }

  public static Future<OtlpReceiver> start(Vertx vertx, Mode mode) {
    return start(vertx, mode, new HttpServerOptions());
  }

  /** A receiver with these server options (TLS, say). */
  public static Future<OtlpReceiver> start(Vertx vertx, Mode mode, HttpServerOptions options) {
    OtlpReceiver r = new OtlpReceiver(mode);
    return vertx.createHttpServer(options).requestHandler(r::handle).listen(0, "127.0.0.1").map(s -> {
      r.server = s;
      return r;
    });
  }

  /**
   * Holds every answer (a body read in full) until {@code release} completes: for a test that must
   * do something before the exporter can possibly have its answer.
   */
  public void holdAnswersUntil(Future<Void> release) {
    answersAfter = release;
  }

  /** A loopback port nothing listens on (bound, then released): a dead collector. */
  public static int deadPort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void handle(HttpServerRequest req) {
    requests.incrementAndGet();
    headers.add(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
    String type = req.getHeader("content-type");
    boolean traces = req.path().equals("/v1/traces");
    if (!req.method().name().equals("POST") || !(traces || req.path().equals("/v1/metrics"))
        || type == null || !type.startsWith("application/x-protobuf")) {
      rejected.incrementAndGet();
      req.response().setStatusCode(traces ? 415 : 404).end();
      return;
    }
    Future<Void> gate = answersAfter;
    req.body().compose(body -> gate.map(body)).onSuccess(body -> {
      if (mode == Mode.STALL) {
        return; // read it all, answer never: the exporter must time out on its own
      }
      if (mode == Mode.STALL_BODY) {
        req.response().putHeader("content-type", "application/x-protobuf").putHeader("content-length", "100")
            .write(Buffer.buffer(new byte[10]));
        return;
      }
      if (mode == Mode.FAIL_503) {
        req.response().setStatusCode(503).end();
        return;
      }
      try {
        byte[] answer;
        if (traces) {
          this.traces.add(ExportTraceServiceRequest.parseFrom(body.getBytes()));
          answer = (mode == Mode.PARTIAL ? ExportTraceServiceResponse.newBuilder().setPartialSuccess(
              ExportTracePartialSuccess.newBuilder().setRejectedSpans(1).setErrorMessage("span too old"))
              : ExportTraceServiceResponse.newBuilder()).build().toByteArray();
        } else {
          metrics.add(ExportMetricsServiceRequest.parseFrom(body.getBytes()));
          answer = (mode == Mode.PARTIAL ? ExportMetricsServiceResponse.newBuilder().setPartialSuccess(
              ExportMetricsPartialSuccess.newBuilder().setRejectedDataPoints(2))
              : ExportMetricsServiceResponse.newBuilder()).build().toByteArray();
        }
        req.response().putHeader("content-type", "application/x-protobuf").end(Buffer.buffer(answer));
      } catch (IOException e) {
        rejected.incrementAndGet();
        req.response().setStatusCode(400).end();
      }
    });
  }

  /** The headers of every request received, in order. */
  public List<MultiMap> headers() {
    return List.copyOf(headers);
  }

  public int port() {
    return server.actualPort();
  }

  /** The base URL to configure as {@code otlp_endpoint}. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  public void mode(Mode mode) {
    this.mode = mode;
  }

  /** Every span received so far, in arrival order, across requests and resources. */
  public List<Span> spans() {
    List<Span> out = new ArrayList<>();
    traces.forEach(t -> t.getResourceSpansList().forEach(rs -> rs.getScopeSpansList()
        .forEach(ss -> out.addAll(ss.getSpansList()))));
    return out;
  }

  /** Every metric received so far (one per export and instrument: later ones are newer). */
  public List<Metric> metrics() {
    List<Metric> out = new ArrayList<>();
    metrics.forEach(m -> m.getResourceMetricsList().forEach(rm -> rm.getScopeMetricsList()
        .forEach(sm -> out.addAll(sm.getMetricsList()))));
    return out;
  }

  /** The resource attributes of the span exports, as strings. */
  public List<Map<String, String>> spanResources() {
    List<Map<String, String>> out = new ArrayList<>();
    traces.forEach(t -> t.getResourceSpansList().forEach(rs -> out.add(attributes(rs.getResource().getAttributesList()))));
    return out;
  }

  /** Export requests seen (answered or not), including rejected ones. */
  public int requests() {
    return requests.get();
  }

  /** Requests refused for a wrong method, path or content type, or an undecodable body. */
  public int rejected() {
    return rejected.get();
  }

  public Future<Void> close() {
    return server.close();
  }

  /** Attributes as strings (arrays as their values joined by ","), for assertions. */
  public static Map<String, String> attributes(List<KeyValue> kvs) {
    Map<String, String> out = new java.util.TreeMap<>();
    for (KeyValue kv : kvs) {
      out.put(kv.getKey(), text(kv.getValue()));
    }
    return out;
  }

  private static String text(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case INT_VALUE -> Long.toString(v.getIntValue());
      case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      case ARRAY_VALUE -> String.join(",", v.getArrayValue().getValuesList().stream().map(OtlpReceiver::text).toList());
      default -> v.toString();
    };
  }
}
