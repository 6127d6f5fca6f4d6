package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.testing.Behaviour;
import io.oxllm.testing.ChainToml;
import io.oxllm.testing.GatewayHarness;
import io.oxllm.testing.LogCapture;
import io.oxllm.testing.StreamRecorder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SPEC section 5: "the client disconnects → the upstream request is cancelled at once". Measured
 * from the moment the client drops its connection to the moment the upstream sees its own
 * connection closed by the gateway; and a client that left is never failed over for.
 */
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class StreamDisconnectTest extends StreamTestBase {
  private static final long MAX_CANCEL_MS = 1000;

  @Test
  void aClientLeavingMidStreamCancelsTheUpstreamAtOnce(VertxTestContext ctx) {
    a.respond(Behaviour.sseChat(100, 100)); // 10 s of stream
    Future<Long> upstreamClosed = a.nextClientClose();
    deadline(ctx, 4000, "the upstream never saw its connection closed after the client left");
    Promise<Long> clientLeft = Promise.promise();
    StreamRecorder rec = new StreamRecorder().onEvent((r, n) -> {
      if (n == 2) {
        clientLeft.tryComplete(System.nanoTime());
        r.request().reset();
      }
    });
    chainAB("")
        .compose(port -> rec.post(client, port, StreamRecorder.chatBody(CHAIN)))
        .compose(r -> clientLeft.future())
        .compose(left -> upstreamClosed.map(closed -> closed - left))
        .onComplete(ctx.succeeding(lag -> ctx.verify(() -> {
          assertTrue(rec.events().size() >= 2, () -> "events before leaving: " + rec.events());
          assertTrue(ms(lag) < MAX_CANCEL_MS, "the upstream saw its connection closed " + ms(lag) + " ms after the client left");
          assertEquals(1, a.clientClosedCount());
          assertEquals(1, a.requestCount());
          assertEquals(0, b.requestCount(), "a client that left is not failed over for");
          ctx.completeNow();
        })));
  }

  @Test
  void aClientClosingItsConnectionMidStreamCancelsTheUpstream(VertxTestContext ctx) {
    a.respond(Behaviour.sseChat(100, 100));
    Future<Long> upstreamClosed = a.nextClientClose();
    deadline(ctx, 4000, "the upstream never saw its connection closed after the client left");
    Promise<Long> clientLeft = Promise.promise();
    StreamRecorder rec = new StreamRecorder().onEvent((r, n) -> {
      if (n == 2) {
        clientLeft.tryComplete(System.nanoTime());
        r.request().connection().close();
      }
    });
    chainAB("")
        .compose(port -> rec.post(client, port, StreamRecorder.chatBody(CHAIN)))
        .compose(r -> clientLeft.future())
        .compose(left -> upstreamClosed.map(closed -> closed - left))
        .onComplete(ctx.succeeding(lag -> ctx.verify(() -> {
          assertTrue(ms(lag) < MAX_CANCEL_MS, "the upstream saw its connection closed " + ms(lag) + " ms after the client left");
          assertEquals(0, b.requestCount());
          ctx.completeNow();
        })));
  }

  @Test
  void aClientLeavingWhileTheUpstreamHasNotAnsweredCancelsTheUpstream(VertxTestContext ctx) {
    a.respond(Behaviour.hang());
    leaveWhenUpstreamHasTheRequest(ctx, 0);
  }

  @Test
  void aClientLeavingWhileTheGatewayHoldsHeadersForTheFirstEventCancelsTheUpstream(VertxTestContext ctx) {
    // the upstream sent 200 + headers at once; the gateway holds them until a first event that never comes
    a.respond(Behaviour.headersThenStall());
    leaveWhenUpstreamHasTheRequest(ctx, 100);
  }

  /** Sends a stream request, resets it {@code delayMs} after a received it, and measures how fast a sees the close. */
  private void leaveWhenUpstreamHasTheRequest(VertxTestContext ctx, long delayMs) {
    b.respond(Behaviour.sseChat(3, 10));
    Future<Long> upstreamClosed = a.nextClientClose();
    deadline(ctx, 4000, "the upstream never saw its connection closed after the client left");
    Promise<Long> clientLeft = Promise.promise();
    chainAB("")
        .compose(port -> client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
            .setPort(port).setURI(StreamRecorder.CHAT).putHeader("content-type", "application/json")))
        .compose(req -> {
          req.send(Buffer.buffer(StreamRecorder.chatBody(CHAIN))); // no response expected
          return a.awaitRequests(1).map(r -> req);
        })
        .compose(req -> {
          leaveAfter(req, delayMs, clientLeft);
          return clientLeft.future();
        })
        .compose(left -> upstreamClosed.map(closed -> closed - left))
        .onComplete(ctx.succeeding(lag -> ctx.verify(() -> {
          assertTrue(ms(lag) < MAX_CANCEL_MS, "the upstream saw its connection closed " + ms(lag) + " ms after the client left");
          assertEquals(1, a.requestCount());
          assertEquals(0, b.requestCount(), "a client that left is not failed over for");
          ctx.completeNow();
        })));
  }

  private void leaveAfter(HttpClientRequest req, long delayMs, Promise<Long> left) {
    Runnable leave = () -> {
      left.tryComplete(System.nanoTime());
      req.reset();
    };
    if (delayMs <= 0) {
      leave.run();
    } else {
      vertx.setTimer(delayMs, t -> leave.run());
    }
  }

  @Test
  void aClientLeavingWhileWaitingForAPooledConnectionIsNotLoggedAsAnError(VertxTestContext ctx) {
    // clients leave all the time (a closed tab, the end of a load test): no cause for alarm, and a
    // log line per leaving client is I/O on the event loop. This one leaves while its attempt waits
    // for a's only connection; when the connection frees, the gateway gives the request up unsent
    LogCapture log = LogCapture.start();
    a.enqueue(Behaviour.delayHeaders(600, Behaviour.sseChat(3, 10))).respond(Behaviour.sseChat(3, 10));
    deadline(ctx, 5000, "the streams around the leaving client did not complete");
    gateway(GatewayHarness.provider("a", a, ChainToml.MODEL) + "max_connections = 1\n"
        + ChainToml.provider("b", b, "") + ChainToml.chain(CHAIN, "a", "b"))
        .compose(port -> {
          Future<StreamRecorder> first = stream(port); // holds a's only connection for 600 ms
          return a.awaitRequests(1)
              .compose(v -> client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                  .setPort(port).setURI(StreamRecorder.CHAT).putHeader("content-type", "application/json")))
              .compose(req -> {
                req.send(Buffer.buffer(StreamRecorder.chatBody(CHAIN))); // no response expected
                Promise<Long> left = Promise.promise();
                leaveAfter(req, 200, left); // the gateway has it by then: it waits for a's connection
                return left.future();
              })
              .compose(v -> first);
        })
        .compose(first -> stream(gateway.port())) // after it, the gateway has given the second up
        .andThen(ar -> log.close()) // detached however the flow ended; what it caught stays readable
        .onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
          assertEquals("[DONE]", rec.lastEvent());
          assertEquals(2, a.requestCount(), "the leaving client's request never reached a");
          assertEquals(0, b.requestCount(), "a client that left is not failed over for");
          assertEquals(List.of(), log.records().stream().filter(l -> l.startsWith("SEVERE")).toList());
          ctx.completeNow();
        })));
  }

  @Test
  void theGatewayServesTheNextStreamAfterAClientLeft(VertxTestContext ctx) {
    a.enqueue(Behaviour.sseChat(100, 100)).respond(Behaviour.sseChat(3, 10));
    Future<Long> upstreamClosed = a.nextClientClose();
    deadline(ctx, 4000, "the upstream never saw its connection closed after the client left");
    StreamRecorder first = new StreamRecorder().onEvent((r, n) -> {
      if (n == 1) {
        r.request().reset();
      }
    });
    chainAB("")
        .compose(port -> first.post(client, port, StreamRecorder.chatBody(CHAIN)))
        .compose(r -> upstreamClosed)
        .compose(closed -> stream(gateway.port()))
        .onComplete(ctx.succeeding(rec -> ctx.verify(() -> {
          assertStreamFrom(rec, "a", 1);
          assertEquals(Behaviour.streamText(3), rec.text());
          assertEquals("[DONE]", rec.lastEvent());
          ctx.completeNow();
        })));
  }
}
