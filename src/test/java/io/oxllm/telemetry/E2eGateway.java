package io.oxllm.telemetry;

import static io.oxllm.testing.Polling.await;
import static io.oxllm.testing.Polling.until;

import io.opentelemetry.proto.trace.v1.Span;
import io.oxllm.Gateway;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.oxllm.testing.OtlpReceiver;
import io.oxllm.testing.StreamRecorder;
import io.oxllm.testing.TestUpstream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * End-to-end telemetry fixture: a live OTLP receiver, two scriptable upstreams {@code a} and
 * {@code b} (model {@value ChainToml#MODEL}, provider key {@value #KEY}), a real gateway whose
 * {@code [telemetry]} table points at the receiver and a JSONL file, and a client that sends from
 * one Vert.x context (see {@link GatewayHarness#client}). Virtual models: {@value #SMART} = [a, b],
 * {@value #SOLO} = [a].
 */
final class E2eGateway implements AutoCloseable {
  static final String KEY = "sk-e2e-secret";
  static final String SMART = "smart";
  static final String SOLO = "solo";
  static final String CHAT = "/v1/chat/completions";
  static final Duration SOON = Duration.ofSeconds(10);
  private static final HexFormat HEX = HexFormat.of();

  final Vertx vertx;
  final OtlpReceiver receiver;
  final TestUpstream a;
  final TestUpstream b;
  final Path log;
  final HttpClient client;
  private final Context context;
  Gateway gateway;

  private E2eGateway(Vertx vertx, OtlpReceiver receiver, TestUpstream a, TestUpstream b, Path log) {
    this.vertx = vertx;
    this.receiver = receiver;
    this.a = a;
    this.b = b;
    this.log = log;
    this.client = GatewayHarness.client(vertx);
    this.context = vertx.getOrCreateContext();
  }

  /** Receiver and upstreams started; no gateway yet. */
  static E2eGateway prepare(Vertx vertx, Path dir) {
    return new E2eGateway(vertx, await(OtlpReceiver.start(vertx)), await(TestUpstream.start(vertx)),
        await(TestUpstream.start(vertx)), dir.resolve("requests.jsonl"));
  }

  /** Prepared and a gateway started with telemetry to the receiver and the log, metrics every second. */
  static E2eGateway start(Vertx vertx, Path dir, String head) {
    E2eGateway e = prepare(vertx, dir);
    e.startGateway(e.telemetryTable(e.receiver.endpoint(), e.log) + head);
    return e;
  }

  /** {@code [telemetry]} with this endpoint and log ("" / null for off) and a one-second metric interval. */
  String telemetryTable(String endpoint, Path logFile) {
    return "[telemetry]\notlp_endpoint = \"" + endpoint + "\"\nrequest_log = \""
        + (logFile == null ? "" : logFile.toString().replace("\\", "\\\\")) + "\"\nmetrics_interval_secs = 1\n";
  }

  /** Starts a gateway: {@code head} (tables such as [telemetry], [routing]) before providers a, b and the chains. */
  Gateway startGateway(String head) {
    gateway = await(deploy(head));
    return gateway;
  }

  /** Another gateway on the same upstreams (the caller closes it). */
  Future<Gateway> deploy(String head) {
    return GatewayHarness.start(vertx, head + providers() + ChainToml.chain(SMART, "a", "b")
        + SOLO + " = [{ provider = \"a\", model = \"" + ChainToml.MODEL + "\" }]\n");
  }

  String providers() {
    return ChainToml.provider("a", a, "") + "api_key = \"" + KEY + "\"\n"
        + ChainToml.provider("b", b, "") + "api_key = \"" + KEY + "\"\n";
  }

  int port() {
    return gateway.port();
  }

  static String chatBody(String model, String text, boolean stream, JsonObject streamOptions) {
    JsonObject body = new JsonObject(StreamRecorder.chatBody(model, text)).put("stream", stream);
    if (streamOptions != null) {
      body.put("stream_options", streamOptions);
    }
    return body.encode();
  }

  /** POST {@code json} to {@code path} with extra {@code headers}; read whole. */
  Response post(String path, String json, Map<String, String> headers) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json");
    headers.forEach(h::add);
    return await(GatewayHarness.send(client, port(), HttpMethod.POST, path, h, Buffer.buffer(json)));
  }

  Response chat(String model, Map<String, String> headers) {
    return post(CHAT, chatBody(model, "hello", false, null), headers);
  }

  Response get(String path) {
    return send(HttpMethod.GET, path);
  }

  /** {@code method} on {@code path}, without headers or body; read whole. */
  Response send(HttpMethod method, String path) {
    return await(GatewayHarness.send(client, port(), method, path, MultiMap.caseInsensitiveMultiMap(), null));
  }

  /** A stream request sent from the client's context; {@code onEvent} runs on it after each event. */
  StreamRecorder stream(String json, BiConsumer<StreamRecorder, Integer> onEvent) {
    StreamRecorder rec = new StreamRecorder();
    if (onEvent != null) {
      rec.onEvent(onEvent);
    }
    return await(onContext(() -> rec.post(client, port(), json).compose(StreamRecorder::done)));
  }

  <T> Future<T> onContext(Supplier<Future<T>> action) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(p));
    return p.future();
  }

  /** The lines of the request log now (none when it does not exist yet). */
  List<String> logLines() {
    try {
      return Files.exists(log) ? Files.readAllLines(log) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The log line of request {@code requestId}, once the worker has written it. */
  JsonObject logLine(String requestId) {
    return until(SOON, () -> logLines().stream().map(JsonObject::new)
        .filter(j -> requestId.equals(j.getString("request_id"))).findFirst().orElse(null),
        j -> j != null, "the request log line of " + requestId);
  }

  static String hex(com.google.protobuf.ByteString bytes) {
    return HEX.formatHex(bytes.toByteArray());
  }

  static Map<String, String> attrs(Span s) {
    return OtlpReceiver.attributes(s.getAttributesList());
  }

  /** The SERVER span with {@code oxllm.request_id} = {@code requestId}, once received. */
  Span requestSpan(String requestId) {
    return until(SOON, () -> receiver.spans().stream().filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER
        && requestId.equals(attrs(s).get("oxllm.request_id"))).findFirst().orElse(null),
        s -> s != null, "the request span of " + requestId);
  }

  /** The CLIENT spans whose parent is {@code request}, in start order, once {@code n} have arrived. */
  List<Span> attemptSpans(Span request, int n) {
    return until(SOON, () -> receiver.spans().stream()
        .filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT && s.getTraceId().equals(request.getTraceId())
            && s.getParentSpanId().equals(request.getSpanId()))
        .sorted(java.util.Comparator.comparingLong(Span::getStartTimeUnixNano)).toList(),
        l -> l.size() >= n, n + " attempt span(s) of " + hex(request.getSpanId()));
  }

  /** {@code /status} as JSON. */
  JsonObject status() {
    Response r = get("/status");
    if (r.status() != 200) {
      throw new AssertionError("GET /status: " + r.status() + " " + r.bodyAsString());
    }
    return r.json();
  }

  JsonObject providerStatus(String name) {
    return status().getJsonArray("providers").stream().map(o -> (JsonObject) o)
        .filter(p -> name.equals(p.getString("name"))).findFirst()
        .orElseThrow(() -> new AssertionError("no provider " + name + " in /status"));
  }

  /** Undeploys the gateway; returns how long it took in ms. */
  long stopGateway() {
    if (gateway == null) {
      return 0;
    }
    long t0 = System.nanoTime();
    await(gateway.close(), Duration.ofSeconds(30));
    gateway = null;
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Override
  public void close() {
    try {
      stopGateway();
    } finally {
      await(client.close().eventually(a::close).eventually(b::close).eventually(receiver::close));
    }
  }
}
