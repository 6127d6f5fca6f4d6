package io.oxllm.http;

import static io.oxllm.testing.ApiChecks.jsonHeaders;
import static io.oxllm.testing.ApiChecks.verify;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockserver.model.HttpRequest.request;
import static org.mockserver.model.HttpResponse.response;

import io.oxllm.Gateway;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.GatewayHarness.Response;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mockserver.configuration.ConfigurationProperties;
import org.mockserver.integration.ClientAndServer;
import org.mockserver.model.HttpRequest;

/**
 * SPEC section 3, "the request body is forwarded byte for byte as it came, except the value of
 * model": checked against a MockServer upstream, which records the exact bytes it received.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class BodyPassthroughTest {
  private static final String UPSTREAM_ANSWER =
      "{ \"id\" : \"x\",\n  \"object\":\"chat.completion\", \"n\": 1.50e+3,\t\"choices\":[] }\n";
  /** Whitespace, key order, escapes, raw UTF-8, exact number texts and fields the gateway does not know. */
  private static final String ODD_TEMPLATE = "{\n"
      + "  \"messages\" : [ {\"content\":\"caf\\u00e9 \\ud83d\\ude00 \u00e9 \u6f22\u5b57 \\\"q\\\" \\\\n\","
      + " \"role\":\"user\"} ],\n"
      + "\t\"temperature\":1.0e+2, \"top_p\":0.10000000000000000001 ,\"seed\": 12345678901234567890123,\n"
      + "  \"model\"   :   %s  ,\n"
      + "  \"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\","
      + "\"properties\":{}}}}],\n"
      + "  \"response_format\":{\"type\":\"json_object\"}, \"x_unknown\": [null,true,false,-0,1E-7, {}] ,"
      + " \"stream\" : false }\r\n";

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
    for (String path : new String[] {"/v1/chat/completions", "/v1/completions", "/v1/embeddings"}) {
      mock.when(request().withMethod("POST").withPath(path))
          .respond(response().withStatusCode(200).withHeader("content-type", "application/json")
              .withBody(UPSTREAM_ANSWER));
    }
    String toml = "[[providers]]\nname = \"mock\"\ntype = \"openai\"\n"
        + "base_url = \"http://127.0.0.1:" + mock.getPort() + "/v1/\"\n"  // trailing slash on purpose
        + "models = [\"same-model\"]\n"
        + "[virtual_models]\n"
        + "vm = [ { provider = \"mock\", model = \"target-model\" } ]\n"
        + "vsame = [ { provider = \"mock\", model = \"vsame\" } ]\n";
    GatewayHarness.start(vertx, toml).map(Gateway::port).onComplete(ctx.succeeding(p -> {
      port = p;
      ctx.completeNow();
    }));
  }

  private Future<Response> post(String path, byte[] body) {
    return GatewayHarness.send(client, port, HttpMethod.POST, path, jsonHeaders(), Buffer.buffer(body));
  }

  /** MockServer's client blocks: ask it off the event loop. */
  private Future<HttpRequest[]> recorded(String path) {
    return vertx.executeBlocking(() -> mock.retrieveRecordedRequests(request().withPath(path)));
  }

  /** Sends {@code sent}, then asserts the upstream got exactly {@code expected} and the client the upstream's bytes. */
  private void expectForwarded(VertxTestContext ctx, String path, byte[] sent, byte[] expected) {
    verify(ctx, post(path, sent).compose(r -> recorded(path).map(reqs -> new Object[] {r, reqs})), both -> {
      Response r = (Response) both[0];
      HttpRequest[] reqs = (HttpRequest[]) both[1];
      assertEquals(200, r.status(), r.bodyAsString());
      assertEquals(1, reqs.length, "upstream requests on " + path);
      assertEquals(new String(expected, StandardCharsets.UTF_8),
          new String(reqs[0].getBodyAsRawBytes(), StandardCharsets.UTF_8));
      assertArrayEquals(expected, reqs[0].getBodyAsRawBytes(), "byte for byte");
      assertEquals(UPSTREAM_ANSWER, r.bodyAsString(), "the upstream's body reaches the client unchanged");
    });
  }

  private static byte[] odd(String modelToken) {
    return String.format(ODD_TEMPLATE, modelToken).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void onlyTheModelValueChangesWhenTheTargetModelDiffers(VertxTestContext ctx) {
    expectForwarded(ctx, "/v1/chat/completions", odd("\"vm\""), odd("\"target-model\""));
  }

  @Test
  void bodyIsIdenticalWhenTheTargetModelEqualsTheRequestedOne(VertxTestContext ctx) {
    expectForwarded(ctx, "/v1/chat/completions", odd("\"vsame\""), odd("\"vsame\""));
  }

  @Test
  void bodyIsIdenticalForAServedModel(VertxTestContext ctx) {
    expectForwarded(ctx, "/v1/chat/completions", odd("\"same-model\""), odd("\"same-model\""));
  }

  @Test
  void escapedModelNameIsResolvedAndReplaced(VertxTestContext ctx) {
    // "v\u006d" is "vm": resolved by its value, and only that token is rewritten
    expectForwarded(ctx, "/v1/chat/completions", odd("\"v\\u006d\""), odd("\"target-model\""));
  }

  @Test
  void providerSlashModelIsRewrittenToThePartAfterTheFirstSlash(VertxTestContext ctx) {
    expectForwarded(ctx, "/v1/chat/completions", odd("\"mock/org/model\""), odd("\"org/model\""));
  }

  @Test
  void modelAsFirstAndLastFieldIsReplacedInPlace(VertxTestContext ctx) {
    String first = "{\"model\":\"vm\",\"messages\":[]}";
    String last = "{\"messages\":[],\"n\":2,\"model\":\"vm\"}";
    Future<HttpRequest[]> f = post("/v1/chat/completions", first.getBytes(StandardCharsets.UTF_8))
        .compose(r -> post("/v1/chat/completions", last.getBytes(StandardCharsets.UTF_8)))
        .compose(r -> recorded("/v1/chat/completions"));
    verify(ctx, f, reqs -> {
      assertEquals(2, reqs.length);
      assertEquals("{\"model\":\"target-model\",\"messages\":[]}",
          new String(reqs[0].getBodyAsRawBytes(), StandardCharsets.UTF_8));
      assertEquals("{\"messages\":[],\"n\":2,\"model\":\"target-model\"}",
          new String(reqs[1].getBodyAsRawBytes(), StandardCharsets.UTF_8));
    });
  }

  @Test
  void nestedModelKeysAndModelTextInStringsAreLeftAlone(VertxTestContext ctx) {
    String template = "{\"metadata\":{\"model\":\"vm\"},\"messages\":[{\"role\":\"user\","
        + "\"content\":\"{\\\"model\\\":\\\"vm\\\"} model vm\"}],"
        + "\"tools\":[{\"model\":\"vm\"}],\"model\":%s,\"extra\":[\"model\",\"vm\"]}";
    expectForwarded(ctx, "/v1/chat/completions",
        String.format(template, "\"vm\"").getBytes(StandardCharsets.UTF_8),
        String.format(template, "\"target-model\"").getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void completionsBodyIsForwardedToCompletions(VertxTestContext ctx) {
    String sent = "{ \"prompt\" : \"Say \\u0041\", \"model\":\"vm\", \"max_tokens\": 16, \"logit_bias\":{\"50256\":-100} }";
    expectForwarded(ctx, "/v1/completions", sent.getBytes(StandardCharsets.UTF_8),
        sent.replace("\"vm\"", "\"target-model\"").getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void embeddingsBodyIsForwardedToEmbeddings(VertxTestContext ctx) {
    String sent = "{\"input\":[\"a\",\"b\"],\"model\":\"vsame\",\"encoding_format\":\"base64\",\"dimensions\":8}";
    byte[] bytes = sent.getBytes(StandardCharsets.UTF_8);
    expectForwarded(ctx, "/v1/embeddings", bytes, bytes);
  }

  /**
   * Embeddings never stream: a {@code "stream": true} goes on as sent, and the gateway does not
   * read it as a stream, so it asks for no stream usage (it spliced in
   * {@code "stream_options":{"include_usage":true}}, and rewrote a false one, an audit found).
   */
  @Test
  void anEmbeddingsBodySayingStreamIsNoStreamAndGetsNoStreamOptions(VertxTestContext ctx) {
    String sent = "{\"input\":\"a\",\"model\":\"vsame\",\"stream\":true,\"stream_options\":{\"include_usage\":false}}";
    byte[] bytes = sent.getBytes(StandardCharsets.UTF_8);
    expectForwarded(ctx, "/v1/embeddings", bytes, bytes);
  }

  @Test
  void upstreamPathJoinsBaseUrlWithoutADoubleSlash(VertxTestContext ctx) {
    verify(ctx, post("/v1/chat/completions", "{\"model\":\"vm\"}".getBytes(StandardCharsets.UTF_8))
        .compose(r -> vertx.executeBlocking(() -> mock.retrieveRecordedRequests(request()))), reqs -> {
          assertEquals(1, reqs.length);
          assertEquals("/v1/chat/completions", reqs[0].getPath().getValue());
          assertTrue(reqs[0].getMethod().getValue().equals("POST"));
        });
  }
}
