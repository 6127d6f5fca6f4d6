package io.oxllm.config;

import java.util.List;

/** The {@code [server]} table. {@code instances} 0 means one HTTP verticle per CPU core. */
public record ServerConfig(
    String host,
    int port,
    BindFamily bindFamily,
    int instances,
    long maxBodyBytes,
    int shutdownGraceSecs,
    String adminToken,
    List<String> corsOrigins,
    long configScanMs) {

  public ServerConfig {
    corsOrigins = List.copyOf(corsOrigins);
  }

  /** How many HTTP verticle instances to deploy: {@code instances}, or the core count when 0. */
  public int effectiveInstances() {
    return instances > 0 ? instances : Runtime.getRuntime().availableProcessors();
  }

  /** Which address family the listener binds. */
  public enum BindFamily { IPV4, IPV6, DUAL }
}
