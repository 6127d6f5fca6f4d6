package io.oxllm.mock;

import static io.oxllm.mock.BodySniffer.ascii;

import io.oxllm.mock.MockKnobs.Fault.Kind;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Answers the mock's requests on one event loop (one instance per verticle, so its cache and
 * counters need no locks). The hot path reads the body once with {@link BodySniffer}, picks
 * precomputed {@link MockBodies} and splices a per-request head in; streams go to {@link MockStream}.
 */
final class MockHandler {
  static final CharSequence JSON = HttpHeaders.createOptimized("application/json");
  static final CharSequence RETRY_AFTER = HttpHeaders.createOptimized("retry-after");
  private static final byte[] MOCK = ascii("mock");
  private static final byte[] DATA = ascii("data: ");
  private static final byte[] CHAT_ID = ascii("{\"id\":\"chatcmpl-");
  private static final byte[] TEXT_ID = ascii("{\"id\":\"cmpl-");
  private static final byte[] CHAT_OBJECT = ascii("\",\"object\":\"chat.completion\",\"created\":");
  private static final byte[] CHUNK_OBJECT = ascii("\",\"object\":\"chat.completion.chunk\",\"created\":");
  private static final byte[] TEXT_OBJECT = ascii("\",\"object\":\"text_completion\",\"created\":");
  private static final byte[] MODEL_KEY = ascii(",\"model\":\"");
  private static final byte[] HEAD_END = ascii("\",");
  private static final Buffer OK = Buffer.buffer("{\"status\":\"ok\"}");
  private static final Buffer MODELS = Buffer.buffer(MockBodies.MODELS);
  private static final Buffer ERROR_BODY = Buffer.buffer(MockBodies.ERROR_BODY);
  /**
   * The shapes kept for reuse, by their bytes: a shape holds about six times its size (two kinds,
   * with and without usage, and the whole), and 32 of the largest allowed (16 MiB) ended a mock
   * with the shipped 256 MB heap at the second (an audit). One larger than this is built per request.
   */
  private static final long CACHE_BYTES = 64L << 20;
  private static final int CHAT = 0;
  private static final int TEXT = 1;
  private static final int EMBEDDINGS = 2;

  private final Vertx vertx;
  private final MockKnobs defaults;
  private final MockStats stats;
  private final MockBodies defaultBodies;
  // Shapes asked for by x-mock-chunks / x-mock-size, least recently used dropped first.
  private final Map<Long, MockBodies> cache = new LinkedHashMap<>(16, 0.75f, true);
  private long cachedBytes;
  private final Buffer[] failBodies = new Buffer[600];
  private final String idPrefix;
  private long counter;
  private long createdSecs = -1;
  private byte[] created;

  MockHandler(Vertx vertx, MockKnobs defaults, MockStats stats) {
    this.vertx = vertx;
    this.defaults = defaults;
    this.stats = stats;
    this.defaultBodies = new MockBodies(defaults.chunks(), defaults.size());
    // ids unique across instances and restarts without a shared counter
    this.idPrefix = "mock" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 28) + "x";
  }

  void handle(HttpServerRequest req) {
    stats.requests.increment();
    String path = req.path();
    if (req.method() == HttpMethod.GET) {
      switch (path) {
        case "/v1/models" -> json(req.response(), 200, MODELS);
        case "/healthz" -> json(req.response(), 200, OK);
        case "/mock/stats" -> json(req.response(), 200, Buffer.buffer(stats.json()));
        default -> notFound(req, path);
      }
      return;
    }
    if (req.method() == HttpMethod.POST && (path.equals("/v1/traces") || path.equals("/v1/metrics"))) {
      // an OTLP/HTTP sink (an empty protobuf answer is a valid export response): benchmarks point
      // the gateway's otlp_endpoint here to measure it against a live collector. The body is
      // counted and dropped as it arrives: a span export is a megabyte or more, and gathering it
      // into one buffer cost this event loop a copy of every byte for nothing.
      stats.otlpExports.increment();
      req.handler(chunk -> stats.otlpBytes.add(chunk.length()));
      req.end().onSuccess(v -> req.response().putHeader("content-type", "application/x-protobuf").end());
      return;
    }
    int endpoint = switch (path) {
      case "/v1/chat/completions" -> CHAT;
      case "/v1/completions" -> TEXT;
      case "/v1/embeddings" -> EMBEDDINGS;
      default -> -1;
    };
    if (req.method() != HttpMethod.POST || endpoint < 0) {
      notFound(req, path);
      return;
    }
    MockKnobs k;
    try {
      k = defaults.withHeaders(req.headers());
    } catch (IllegalArgumentException e) {
      json(req.response(), 400, error(e.getMessage(), "invalid_request_error", "invalid_value"));
      return;
    }
    req.body().onSuccess(body -> answer(req, endpoint, k, body)); // a failure: the client left
  }

  /** Applies ttft (and hang, which is an endless ttft), then {@link #act}. */
  private void answer(HttpServerRequest req, int endpoint, MockKnobs k, Buffer body) {
    HttpServerResponse resp = req.response();
    if (k.fault().kind() == Kind.HANG) {
      stats.faults.increment();
      resp.closeHandler(v -> stats.clientCloses.increment());
      return;
    }
    if (k.ttftMs() == 0) {
      act(req, endpoint, k, body);
      return;
    }
    long timer = vertx.setTimer(k.ttftMs(), id -> act(req, endpoint, k, body));
    resp.closeHandler(v -> {
      vertx.cancelTimer(timer);
      stats.clientCloses.increment();
    });
  }

  private void act(HttpServerRequest req, int endpoint, MockKnobs k, Buffer body) {
    HttpServerResponse resp = req.response();
    double rate = k.failRate();
    if (rate > 0 && ThreadLocalRandom.current().nextDouble() < rate) {
      stats.injectedFailures.increment();
      if (k.retryAfter() != null) {
        resp.putHeader(RETRY_AFTER, k.retryAfter());
      }
      json(resp, k.failStatus(), failBody(k.failStatus()));
      return;
    }
    Kind fault = k.fault().kind();
    if (fault == Kind.RESET) {
      stats.faults.increment();
      resp.closeHandler(null); // our own close is not a client leaving
      req.connection().close();
      return;
    }
    BodySniffer sniff = new BodySniffer(body);
    byte[] model = sniff.rawString(BodySniffer.MODEL);
    model = model == null ? MOCK : model;
    int promptTokens = Math.max(1, sniff.length() / 4);
    boolean chat = endpoint == CHAT;
    MockBodies bodies = bodies(k);
    Buffer answer;
    if (endpoint == EMBEDDINGS) {
      answer = MockBodies.embeddings(model, sniff.isBase64(BodySniffer.ENCODING_FORMAT), promptTokens);
    } else if (sniff.isTrue(BodySniffer.STREAM)) {
      stats.streams.increment();
      boolean usage = sniff.isTrue(BodySniffer.INCLUDE_USAGE);
      new MockStream(vertx, req, k, stats, bodies, chat, head(true, chat, model), usage, promptTokens).start();
      return;
    } else {
      answer = bodies.nonStream(head(false, chat, model), chat, promptTokens);
    }
    if (fault == Kind.NONE || fault == Kind.NO_DONE) {
      json(resp, 200, answer);
    } else {
      MockStream.faultyBody(req, answer, k.fault(), stats);
    }
  }

  private MockBodies bodies(MockKnobs k) {
    if (k.chunks() == defaultBodies.chunks && k.size() == defaultBodies.size) {
      return defaultBodies;
    }
    MockBodies cached = cache.get(k.shapeKey());
    if (cached != null) {
      return cached;
    }
    MockBodies built = new MockBodies(k.chunks(), k.size());
    if (built.bytes() <= CACHE_BYTES) {
      cache.put(k.shapeKey(), built);
      cachedBytes += built.bytes();
      for (var eldest = cache.values().iterator(); cachedBytes > CACHE_BYTES; ) {
        cachedBytes -= eldest.next().bytes();
        eldest.remove();
      }
    }
    return built;
  }

  /** {@code [data: ]{"id":"…","object":"…","created":N,"model":"…",} — what varies per request. */
  private Buffer head(boolean sse, boolean chat, byte[] model) {
    Buffer b = Buffer.buffer(112 + model.length);
    if (sse) {
      b.appendBytes(DATA);
    }
    return b.appendBytes(chat ? CHAT_ID : TEXT_ID).appendString(idPrefix).appendString(Long.toString(++counter))
        .appendBytes(chat ? (sse ? CHUNK_OBJECT : CHAT_OBJECT) : TEXT_OBJECT).appendBytes(created())
        .appendBytes(MODEL_KEY).appendBytes(model).appendBytes(HEAD_END);
  }

  /** "created" as text, re-rendered once a second rather than per request. */
  private byte[] created() {
    long now = System.currentTimeMillis() / 1000;
    if (now != createdSecs) {
      createdSecs = now;
      created = ascii(Long.toString(now));
    }
    return created;
  }

  private Buffer failBody(int status) {
    Buffer b = failBodies[status];
    if (b == null) {
      String type = status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
      b = error("mock failure (HTTP " + status + ")", type, status == 429 ? "rate_limit_exceeded" : null);
      failBodies[status] = b;
    }
    return b;
  }

  static void json(HttpServerResponse resp, int status, Buffer body) {
    resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body);
  }

  static Buffer errorBody() {
    return ERROR_BODY;
  }

  private static void notFound(HttpServerRequest req, String path) {
    json(req.response(), 404, error("Invalid URL (" + req.method() + " " + path + ")", "invalid_request_error", "unknown_url"));
  }

  private static Buffer error(String message, String type, String code) {
    JsonObject err = new JsonObject().put("message", message).put("type", type).putNull("param").put("code", code);
    return new JsonObject().put("error", err).toBuffer();
  }
}
