package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * pom.xml runs the HTTP tests a second time with vertx-junit5 told to prefer the native transport
 * (execution {@code native-transport}), the path a gateway on Linux takes. Were its options file
 * not read, Vert.x would say so only in a log line and that run would test NIO again.
 */
@ExtendWith(VertxExtension.class)
class NativeTransportRunTest {
  @Test
  void theNativeTransportRunIsOnTheNativeTransport(Vertx vertx) {
    assumeTrue(System.getProperty("vertx.parameter.filename") != null, "the NIO run");
    assumeTrue(Epoll.isAvailable(), "no epoll on this machine");
    assertTrue(vertx.isNativeTransportEnabled(), "the native-transport run is on NIO");
  }
}
