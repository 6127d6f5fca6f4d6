package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.oxllm.upstream.AttemptFailure;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** An attempt span's error.type is a fixed name whatever the attempt's error text says. */
class AttemptErrorTypesTest {
  @Test
  void theGatewaysAttemptErrorsHaveFixedNames() {
    // as upstream.AttemptFailure describes transport errors
    assertEquals("connection_refused", AttemptErrorTypes.of(AttemptFailure.describe(
        new ConnectException("finishConnect(..) failed with error(-111): Connection refused: /127.0.0.1:1"))));
    assertEquals("connect_error", AttemptErrorTypes.of(AttemptFailure.describe(new ConnectException("No route to host"))));
    assertEquals("connect_timeout", AttemptErrorTypes.of(AttemptFailure.describe(new TimeoutException("after 500 ms"))));
    assertEquals("pool_timeout", AttemptErrorTypes.of(AttemptFailure.describe(new io.vertx.core.impl.NoStackTraceTimeoutException(
        "The timeout of 500 ms has been exceeded when getting a connection to 127.0.0.1:1"))));
    assertEquals("pool_full", AttemptErrorTypes.of(AttemptFailure.describe(new ConnectionPoolTooBusyException("full"))));
    assertEquals("connection_reset", AttemptErrorTypes.of(AttemptFailure.describe(
        new io.vertx.core.VertxException("Connection was closed"))));
    assertEquals("response_head_too_large", AttemptErrorTypes.of(AttemptFailure.describe(
        new io.netty.handler.codec.http.TooLongHttpHeaderException("HTTP header is larger than 65536 bytes."))));
    // as upstream.UpstreamAttempt and http.ResponseRelay word theirs
    assertEquals("first_byte_timeout", AttemptErrorTypes.of("no first byte within 2000 ms"));
    assertEquals("idle_timeout", AttemptErrorTypes.of("no data for 1500 ms (idle timeout)"));
    assertEquals("total_timeout", AttemptErrorTypes.of("total timeout after 8000 ms"));
    assertEquals("client_closed", AttemptErrorTypes.of("client closed"));
    assertEquals("shutting_down", AttemptErrorTypes.of("the gateway is shutting down"));
    assertEquals("error_event", AttemptErrorTypes.of("error event: overloaded"));
    assertEquals("no_first_event", AttemptErrorTypes.of("the stream ended before its first event"));
    assertEquals("no_first_event", AttemptErrorTypes.of("no SSE event in the first 65536 bytes"));
    assertEquals("stream_interrupted", AttemptErrorTypes.of("the upstream ended the stream without a finish_reason or [DONE]"));
    assertEquals("_OTHER", AttemptErrorTypes.of("something new"));
    assertNull(AttemptErrorTypes.of(null));
  }
}
