package io.oxllm.config;

import java.util.List;

/**
 * The {@code [server]} table. {@code instances} 0 means one HTTP verticle per CPU core;
 * {@code bodyTimeoutSecs} 0 lets a request body be silent for ever; {@code idleTimeoutSecs} 0 keeps
 * a client connection with no request running open for ever; {@code bodyMemoryBytes} 0 lets the
 * request bodies held at once take half the heap.
 */
public record ServerConfig(
    String host,
    int port,
    BindFamily bindFamily,
    int instances,
    long maxBodyBytes,
    int shutdownGraceSecs,
    String adminToken,
    List<String> corsOrigins,
    long configScanMs,
    long bodyTimeoutSecs,
    long idleTimeoutSecs,
    long bodyMemoryBytes) {

  public ServerConfig {
    corsOrigins = List.copyOf(corsOrigins);
  }

  /** This table with {@code instances} in place of its own (the {@code -instances} flag). */
  public ServerConfig withInstances(int instances) {
    return new ServerConfig(host, port, bindFamily, instances, maxBodyBytes, shutdownGraceSecs, adminToken,
        corsOrigins, configScanMs, bodyTimeoutSecs, idleTimeoutSecs, bodyMemoryBytes);
  }

  /** How many HTTP verticle instances to deploy: {@code instances}, or the core count when 0. */
  public int effectiveInstances() {
    return instances > 0 ? instances : Runtime.getRuntime().availableProcessors();
  }

  /**
   * The address to bind. {@code bind_family} decides only for the wildcard ("0.0.0.0", "::", "*",
   * "") and "localhost": ipv4 → 0.0.0.0 / 127.0.0.1, ipv6 → :: / ::1, dual → :: (a dual-stack
   * socket on Linux) / localhost. An explicit address is bound as written.
   */
  public String bindHost() {
    boolean wildcard = host.isEmpty() || host.equals("*") || host.equals("0.0.0.0") || host.equals("::");
    if (wildcard) {
      return bindFamily == BindFamily.IPV4 ? "0.0.0.0" : "::";
    }
    if (host.equalsIgnoreCase("localhost")) {
      return switch (bindFamily) {
        case IPV4 -> "127.0.0.1";
        case IPV6 -> "::1";
        case DUAL -> "localhost";
      };
    }
    return host;
  }

  /** Which address family the listener binds. */
  public enum BindFamily { IPV4, IPV6, DUAL }
}
