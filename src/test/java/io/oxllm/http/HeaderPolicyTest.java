package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.assertRequestId;
import static io.oxllm.testing.ApiChecks.headers;
import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockserver.model.HttpRequest.request;
import static org.mockserver.model.HttpResponse.response;

import io.oxllm.Gateway;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mockserver.configuration.ConfigurationProperties;
import org.mockserver.integration.ClientAndServer;
import org.mockserver.model.HttpRequest;

/**
 * Which headers cross the gateway (SPEC section 3), against a MockServer upstream: upstream, an
 * allow-list plus the provider's key and headers; downstream, status, Content-Type, x-ratelimit-*
 * and the gateway's own headers.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class HeaderPolicyTest {
  private static final String CHAT = "/v1/chat/completions";
  private static final String BODY = "{\"model\":\"vm\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

  private static ClientAndServer mock;
  private Vertx vertx;
  private HttpClient client;
  private int port;

  @BeforeAll
  static void startMock() {
    ConfigurationProperties.logLevel("WARN");
    mock = ClientAndServer.startClientAndServer(0);
  }

  @AfterAll
  static void stopMock() {
    mock.stop();
  }

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    this.client = GatewayHarness.client(vertx);
    mock.reset();
    mock.when(request().withMethod("POST").withPath("/v1/chat/completions"))
        .respond(response().withStatusCode(203)
            .withHeader("content-type", "application/json; charset=utf-8")
            .withHeader("x-ratelimit-remaining-requests", "99")
            .withHeader("x-ratelimit-limit-tokens", "100000")
            .withHeader("x-request-id", "upstream-req-7")
            .withHeader("set-cookie", "session=upstream")
            .withHeader("x-internal-secret", "do-not-leak")
            .withHeader("server", "upstream-server/1.0")
            .withBody("{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[]}"));
    String toml = "[[providers]]\nname = \"mock\"\ntype = \"openai\"\n"
        + "base_url = \"http://127.0.0.1:" + mock.getPort() + "/v1\"\n"
        + "api_key = \"sk-provider-secret\"\n"
        + "headers = { \"X-Team\" = \"a\", \"OpenAI-Organization\" = \"org-1\" }\n"
        + "models = [\"m1\"]\n"
        + "[virtual_models]\n"
        + "vm = [ { provider = \"mock\", model = \"m1-upstream\" } ]\n";
    GatewayHarness.start(vertx, toml).map(Gateway::port).onComplete(ctx.succeeding(p -> {
      port = p;
      ctx.completeNow();
    }));
  }

  private static MultiMap clientHeaders() {
    return headers("content-type", "application/json",
        "authorization", "Bearer client-key-must-not-leak",
        "cookie", "sid=client-cookie",
        "x-foo", "bar",
        "user-agent", "client-sdk/1.2",
        "accept", "application/json",
        "traceparent", TRACEPARENT,
        "tracestate", "congo=t61rcWkgMzE",
        "proxy-authorization", "Basic cHJveHk6cHc=",
        "te", "trailers",
        "x-request-id", "client-req-1");
  }

  /** One chat request with {@link #clientHeaders()}, and what MockServer recorded. */
  private Future<Object[]> exchange() {
    return GatewayHarness.send(client, port, HttpMethod.POST, CHAT, clientHeaders(), Buffer.buffer(BODY))
        .compose(r -> vertx.executeBlocking(() -> mock.retrieveRecordedRequests(request().withPath(CHAT)))
            .map(reqs -> new Object[] {r, reqs}));
  }

  private void withUpstreamRequest(VertxTestContext ctx, Consumer<HttpRequest> check) {
    verify(ctx, exchange(), both -> {
      HttpRequest[] reqs = (HttpRequest[]) both[1];
      assertEquals(1, reqs.length);
      check.accept(reqs[0]);
    });
  }

  private void withClientResponse(VertxTestContext ctx, Consumer<Response> check) {
    verify(ctx, exchange(), both -> check.accept((Response) both[0]));
  }

  // ---- upstream ------------------------------------------------------------------------------

  @Test
  void providerApiKeyReplacesTheClientsAuthorization(VertxTestContext ctx) {
    withUpstreamRequest(ctx, up -> {
      assertEquals(1, up.getHeader("authorization").size(), "one Authorization: " + up.getHeader("authorization"));
      assertEquals("Bearer sk-provider-secret", up.getFirstHeader("authorization"));
    });
  }

  @Test
  void clientCookieAndOtherHeadersAreNotForwarded(VertxTestContext ctx) {
    withUpstreamRequest(ctx, up -> {
      assertFalse(up.containsHeader("cookie"), "cookie leaked: " + up.getFirstHeader("cookie"));
      assertFalse(up.containsHeader("x-foo"), "x-foo leaked");
      assertFalse(up.getFirstHeader("user-agent").contains("client-sdk"), "client user-agent leaked");
    });
  }

  @Test
  void hopByHopHeadersAreNotForwarded(VertxTestContext ctx) {
    withUpstreamRequest(ctx, up -> {
      assertFalse(up.containsHeader("proxy-authorization"), "proxy-authorization leaked");
      assertFalse(up.containsHeader("te"), "te leaked");
    });
  }

  @Test
  void headersTheClientsConnectionNamesAreHopByHop(VertxTestContext ctx) {
    MultiMap h = clientHeaders().set("connection", "keep-alive, tracestate,Accept");
    verify(ctx, GatewayHarness.send(client, port, HttpMethod.POST, CHAT, h, Buffer.buffer(BODY))
        .compose(r -> vertx.executeBlocking(() -> mock.retrieveRecordedRequests(request().withPath(CHAT)))),
        reqs -> {
          assertEquals(1, reqs.length);
          assertFalse(reqs[0].containsHeader("tracestate"), "tracestate crossed: " + reqs[0].getFirstHeader("tracestate"));
          assertEquals("application/json, text/event-stream", reqs[0].getFirstHeader("accept"));
          assertTrue(reqs[0].getFirstHeader("traceparent").contains(TRACE_ID), "the gateway's own traceparent still goes");
        });
  }

  @Test
  void anInvalidTraceparentTakesItsTracestateWithIt(VertxTestContext ctx) {
    // W3C Trace Context: a tracestate without a valid traceparent is discarded
    MultiMap h = clientHeaders().set("traceparent", "00-" + "0".repeat(32) + "-00f067aa0ba902b7-01");
    verify(ctx, GatewayHarness.send(client, port, HttpMethod.POST, CHAT, h, Buffer.buffer(BODY))
        .compose(r -> vertx.executeBlocking(() -> mock.retrieveRecordedRequests(request().withPath(CHAT)))),
        reqs -> {
          assertEquals(1, reqs.length);
          assertFalse(reqs[0].containsHeader("tracestate"), "tracestate went on: " + reqs[0].getFirstHeader("tracestate"));
          assertFalse(reqs[0].getFirstHeader("traceparent").contains("0".repeat(32)), "a new trace");
        });
  }

  @Test
  void providerHeadersAreSent(VertxTestContext ctx) {
    withUpstreamRequest(ctx, up -> {
      assertEquals("a", up.getFirstHeader("x-team"));
      assertEquals("org-1", up.getFirstHeader("openai-organization"));
    });
  }

  @Test
  void userAgentIsOxllm(VertxTestContext ctx) {
    withUpstreamRequest(ctx, up -> assertTrue(up.getFirstHeader("user-agent").startsWith("oxllm/"),
        "user-agent " + up.getFirstHeader("user-agent")));
  }

  @Test
  void traceContextIsForwarded(VertxTestContext ctx) {
    withUpstreamRequest(ctx, up -> {
      String tp = up.getFirstHeader("traceparent");
      // the gateway may substitute its own span as parent (SPEC 7), but the trace stays the same
      assertTrue(tp.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}"), "traceparent " + tp);
      assertEquals(TRACE_ID, tp.split("-")[1], "trace id kept: " + tp);
      assertTrue(up.getFirstHeader("tracestate").contains("congo=t61rcWkgMzE"), up.getFirstHeader("tracestate"));
    });
  }

  @Test
  void contentTypeAcceptAndRequestIdAreSent(VertxTestContext ctx) {
    withUpstreamRequest(ctx, up -> {
      assertTrue(up.getFirstHeader("content-type").startsWith("application/json"));
      assertEquals("application/json", up.getFirstHeader("accept"));
      assertEquals("client-req-1", up.getFirstHeader("x-request-id"));
    });
  }

  // ---- downstream ----------------------------------------------------------------------------

  @Test
  void upstreamStatusContentTypeAndRateLimitsReachTheClient(VertxTestContext ctx) {
    withClientResponse(ctx, r -> {
      assertEquals(203, r.status());
      assertEquals("application/json; charset=utf-8", r.header("content-type"));
      assertEquals("99", r.header("x-ratelimit-remaining-requests"));
      assertEquals("100000", r.header("x-ratelimit-limit-tokens"));
      assertEquals("{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[]}", r.bodyAsString());
    });
  }

  @Test
  void upstreamRequestIdIsExposedSeparately(VertxTestContext ctx) {
    withClientResponse(ctx, r -> {
      assertEquals("upstream-req-7", r.header("x-upstream-request-id"));
      assertEquals("client-req-1", r.header("x-request-id"));
      assertEquals(1, r.headers().getAll("x-request-id").size());
    });
  }

  @Test
  void gatewayHeadersNameWhatAnswered(VertxTestContext ctx) {
    withClientResponse(ctx, r -> {
      assertEquals("mock", r.header("x-oxllm-provider"));
      assertEquals("m1-upstream", r.header("x-oxllm-model"));
      assertEquals("1", r.header("x-oxllm-attempts"));
      assertRequestId(r);
    });
  }

  @Test
  void otherUpstreamHeadersDoNotReachTheClient(VertxTestContext ctx) {
    withClientResponse(ctx, r -> {
      assertNull(r.header("set-cookie"), "set-cookie leaked");
      assertNull(r.header("x-internal-secret"), "x-internal-secret leaked");
      assertNotEquals("upstream-server/1.0", r.header("server"));
    });
  }
}
