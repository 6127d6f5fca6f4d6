package io.oxllm.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ApiChecksTest {

  /**
   * A "dead" port from the ephemeral range could be handed to the next server bound on port 0 —
   * in CI once, the gateway under test itself, which then answered as its own dead upstream.
   */
  @Test
  void anUnusedPortIsOneNoPortZeroBindCanBeGiven() throws IOException {
    Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    int low = Files.exists(range) ? Integer.parseInt(Files.readAllLines(range).get(0).trim().split("\\s+")[0]) : 32_768;
    for (int i = 0; i < 50; i++) {
      int port = ApiChecks.unusedPort();
      assertTrue(port > 0 && port < low, port + " is in the ephemeral range, from " + low);
    }
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertTrue(s.getLocalPort() >= low, "port 0 gave " + s.getLocalPort() + ", below " + low);
    }
  }

  @Test
  void nothingListensOnAnUnusedPort() {
    int port = ApiChecks.unusedPort();
    assertThrows(ConnectException.class, () -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
      }
    });
  }
}
