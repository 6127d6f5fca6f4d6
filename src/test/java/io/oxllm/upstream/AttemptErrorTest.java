package io.oxllm.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceTimeoutException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Transport errors get a fixed type (an attempt span's error.type) and a text for people; a
 * failure only waiting for our own pool is not the provider's fault.
 */
class AttemptErrorTest {

  private static void assertError(String type, String textStart, Throwable err) {
    AttemptError e = AttemptError.transport(err);
    assertEquals(type, e.type(), e.text());
    assertTrue(e.text().startsWith(textStart), e.text());
  }

  @Test
  void transportErrorsHaveFixedTypes() {
    assertError("connection_refused", "connection refused",
        new ConnectException("finishConnect(..) failed with error(-111): Connection refused: /127.0.0.1:1"));
    assertError("connect_error", "connect error: No route to host", new ConnectException("No route to host"));
    assertError("connect_timeout", "connect timeout: after 500 ms", new TimeoutException("after 500 ms"));
    assertError("pool_full", "connection pool full", new ConnectionPoolTooBusyException("full"));
    assertError("pool_timeout", "no pooled connection free within connect_ms", new NoStackTraceTimeoutException(
        "The timeout of 500 ms has been exceeded when getting a connection to 127.0.0.1:1"));
    assertError("connection_reset", "connection reset: Connection was closed", new VertxException("Connection was closed"));
    assertError("response_head_too_large", "response head over 64 KB",
        new TooLongHttpHeaderException("HTTP header is larger than 65536 bytes."));
    assertError("_OTHER", "IllegalStateException: odd", new IllegalStateException("odd"));
    assertError("_OTHER", "IllegalStateException", new IllegalStateException());
  }

  @Test
  void aResetSaysSoWithoutTheSystemCallThatSawIt() {
    AttemptError nativeReset = AttemptError.transport(
        new java.io.IOException("recvAddress(..) failed with error(-104): Connection reset by peer"));
    assertEquals(new AttemptError("connection_reset", "connection reset by peer"), nativeReset);
    assertEquals(nativeReset, AttemptError.transport(new java.net.SocketException("Connection reset")));
    assertError("connection_reset", "connection reset: Broken pipe",
        new java.io.IOException("writevAddresses(..) failed with error(-32): Broken pipe"));
    assertError("_OTHER", "IOException: Input/output error",
        new java.io.IOException("readAddress(..) failed with error(-5): Input/output error"));
  }

  @Test
  void theGatewaysOwnReasonsHaveFixedTypesAndSayTheirNumbers() {
    assertEquals(new AttemptError("first_byte_timeout", "no first byte within 2000 ms"), AttemptError.firstByteTimeout(2000));
    assertEquals(new AttemptError("idle_timeout", "no data for 1500 ms (idle timeout)"), AttemptError.idleTimeout(1500));
    assertEquals(new AttemptError("total_timeout", "total timeout after 8000 ms"), AttemptError.totalTimeout(8000));
    assertEquals(new AttemptError("error_event", "error event: overloaded"), AttemptError.errorEvent("overloaded",
        new io.oxllm.config.ProviderConfig("p", io.oxllm.config.ProviderType.OPENAI, null, "", java.util.List.of(), true,
            java.util.Map.of(), 1, null, null)));
    assertEquals("no_first_event", AttemptError.noEventWithin(65536).type());
    assertEquals("stream_interrupted", AttemptError.ENDED_UNFINISHED.type());
  }

  @Test
  void onlyAWaitForOurOwnPoolIsNotTheProvidersFault() {
    assertFalse(AttemptFailure.of(new ConnectionPoolTooBusyException("full"), null).providersFault());
    assertFalse(AttemptFailure.of(new NoStackTraceTimeoutException(
        "The timeout of 500 ms has been exceeded when getting a connection to 127.0.0.1:1"), null).providersFault());
    assertTrue(AttemptFailure.of(new ConnectException("Connection refused"), null).providersFault());
    // an abort we fired (a timeout) wins over what it caused
    AttemptFailure aborted = AttemptFailure.of(new VertxException("Connection was closed"), AttemptError.firstByteTimeout(9));
    assertEquals("first_byte_timeout", aborted.error().type());
    assertTrue(aborted.providersFault());
  }
}
